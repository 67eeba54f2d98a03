package org.a2q.engine.train;

import org.a2q.engine.EngineException;
import org.a2q.engine.nn.Buffers;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Mean softmax cross-entropy over a batch of logits [B, C] with integer labels, and its gradient
 * dL/dz = (softmax(z) − onehot(y)) / B. Computed in Java on one copy of the logits: for B·C of a
 * few hundred values this is ~30 µs, cheaper than the 3–4 native ops it would otherwise take
 * (perf-notes.md, "loss in Java on the native buffer").
 */
public final class SoftmaxCrossEntropy {
    private INDArray grad;
    private double loss;
    private int correct;

    /** Computes loss, accuracy count and gradient; returns the mean loss. */
    public double compute(INDArray logits, int[] labels, int count) {
        return compute(logits, labels, 0, count, count);
    }

    /**
     * The same for part of a batch: logits [count, C] of the samples whose labels are
     * labels[from, from + count), with the gradient scaled by 1/divisor (the whole batch's size, so
     * that the parts' gradients add up to the batch's); returns the mean loss over these samples.
     */
    public double compute(INDArray logits, int[] labels, int from, int count, int divisor) {
        long[] s = logits.shape();
        if (s.length != 2 || s[0] != count || from < 0 || labels.length < from + count || divisor < count) {
            throw new EngineException("loss expects logits [" + count + ", classes], got " + java.util.Arrays.toString(s));
        }
        int b = (int) s[0];
        int c = (int) s[1];
        double[] z = logits.dup('c').data().asDouble();
        double[] g = new double[b * c];
        double total = 0;
        int right = 0;
        for (int i = 0; i < b; i++) {
            int off = i * c;
            int y = labels[from + i];
            if (y < 0 || y >= c) {
                throw new EngineException("label " + y + " is outside the model's " + c + " classes");
            }
            double max = Double.NEGATIVE_INFINITY;
            int arg = 0;
            for (int j = 0; j < c; j++) {
                if (z[off + j] > max) {
                    max = z[off + j];
                    arg = j;
                }
            }
            if (arg == y) {
                right++;
            }
            double sum = 0;
            for (int j = 0; j < c; j++) {
                double e = Math.exp(z[off + j] - max);
                g[off + j] = e;
                sum += e;
            }
            // log softmax_y = z_y − max − log Σ exp(z − max)
            total += -(z[off + y] - max - Math.log(sum));
            for (int j = 0; j < c; j++) {
                g[off + j] = (g[off + j] / sum - (j == y ? 1.0 : 0.0)) / divisor;
            }
        }
        grad = Buffers.ensure(grad, logits.dataType(), b, c);
        if (grad.dataType() == DataType.DOUBLE) {
            grad.data().setData(g);
        } else {
            float[] f = new float[g.length];
            for (int i = 0; i < g.length; i++) {
                f[i] = (float) g[i];
            }
            grad.data().setData(f);
        }
        loss = total / b;
        correct = right;
        return loss;
    }

    /** dL/dlogits of the last {@link #compute} (owned by this object). */
    public INDArray gradient() { return grad; }

    public double loss() { return loss; }

    /** Number of argmax hits in the last batch. */
    public int correct() { return correct; }
}
