package org.a2q.engine.nn;

import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The last view made of one array (a permutation, a reshape), kept while the caller passes the
 * same array. Layers get the same preallocated arrays every step, and a fresh view object each
 * step made every native op reading it rebind its context (~5 µs a call: binding allocates
 * native wrappers, see NativeOp).
 */
public final class ViewCache {
    private final UnaryOperator<INDArray> view;
    private INDArray source;
    private INDArray cached;

    /** @param view how the view is made from its source (the same way every call) */
    public ViewCache(UnaryOperator<INDArray> view) {
        this.view = view;
    }

    /** The view of {@code a}: the cached one if {@code a} is the array it was made from. */
    public INDArray of(INDArray a) {
        if (a != source || cached == null) {
            cached = view.apply(a);
            source = a;
        }
        return cached;
    }
}
