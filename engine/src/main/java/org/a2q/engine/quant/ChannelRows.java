package org.a2q.engine.quant;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.a2q.engine.EngineException;
import org.a2q.engine.nn.Buffers;
import org.a2q.engine.nn.LegacyLoop;
import org.a2q.engine.nn.RowProduct;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Views of a weight tensor [Cout, …] as [Cout, K] rows, one per output channel (a2q-math.md §1). */
final class ChannelRows {
    private ChannelRows() {}

    /** Fan-in K of one output channel of v; checks that v has {@code channels} rows. */
    static int dotLength(INDArray v, int channels) {
        if (v.rank() < 1 || v.size(0) != channels) {
            throw new EngineException("weight quantizer built for " + channels + " output channels got a weight of shape "
                    + java.util.Arrays.toString(v.shape()));
        }
        long k = v.length() / channels;
        if (k < 1 || k > Integer.MAX_VALUE) {
            throw new EngineException("weight fan-in must be 1.." + Integer.MAX_VALUE + ", got " + k);
        }
        return (int) k;
    }

    /**
     * Caches the [C, K] view of one caller array: a reshape costs ~17 µs (measured), and the layer
     * passes the same weight and gradient arrays every step.
     */
    static final class RowsView {
        private INDArray source;
        private INDArray view;

        INDArray of(INDArray a, int channels, int k) {
            if (a != source || view == null || view.size(1) != k) {
                view = rows(a, channels, k);
                source = Buffers.reshapesInPlace(a) ? a : null; // copies are never reused
            }
            return view;
        }
    }

    /** a as [channels, K]; a view when possible, otherwise a copy (fine for inputs only). */
    static INDArray rows(INDArray a, int channels, int k) {
        if (Buffers.reshapesInPlace(a)) {
            return a.reshape('c', channels, k);
        }
        return a.dup('c').reshape('c', channels, k);
    }

    /**
     * The row ops of one quantizer, each call site bound to its own native call (LegacyLoop,
     * RowProduct). Binding looks up the arrays' native descriptors, and a quantizer passes the same
     * arrays from step to step, so an op is kept per (kind, argument, arrays) combination. The
     * quantizer's calls come in the same order every step, so the lookup scans the kept ops from
     * just after the last one found: one comparison per call once warm (a hash map of call sites
     * took 6 % of fc1's quantizer time). Not thread-safe: a quantizer runs on one thread at a time.
     */
    static final class Ops {
        /** A quantizer has about 25 call sites; more means its caller passes fresh arrays (copies) each call. */
        private static final int MAX_SITES = 128;
        private final List<Site> sites = new ArrayList<>();
        private int next;                                                      // where the next call's site probably is
        private final Map<String, INDArray> constants = new HashMap<>();        // ones (or 1/K) vectors [K], [1] scalars

        /** Drops every bound op (the owner reallocated its buffers: the old arrays must not be kept alive). */
        void clear() {
            sites.clear();
            next = 0;
        }

        /** The op bound to this call site, made on first use. */
        private <T> T at(String name, long arg, INDArray a, INDArray b, INDArray out, Supplier<T> make) {
            int n = sites.size();
            for (int i = 0, j = next; i < n; i++, j = j + 1 == n ? 0 : j + 1) {
                Site site = sites.get(j);
                if (site.is(name, arg, a, b, out)) {
                    next = j + 1 == n ? 0 : j + 1;
                    @SuppressWarnings("unchecked")
                    T op = (T) site.op;
                    return op;
                }
            }
            if (n >= MAX_SITES) {   // a caller passing fresh arrays each call: keep them from piling up
                sites.clear();
            }
            T op = make.get();
            sites.add(new Site(name, arg, a, b, out, op));
            next = 0;
            return op;
        }

        /** The legacy loop bound to this site, made on first use. */
        private LegacyLoop loop(String name, long arg, INDArray a, INDArray b, INDArray out, Supplier<LegacyLoop> make) {
            return at(name, arg, a, b, out, make);
        }

        // Row reductions [C, K] -> [C] are matrix-vector products with a ones (or 1/K) vector,
        // BLAS called directly (RowProduct): on [120, 400] 1.8 µs against 23.4 for libnd4j's
        // legacy row reduction and 8.9 for ND4J's matmul op, on [84, 120] 0.6 against 3.6 and 7.8.
        // ND4J also mis-reduced a [C, 1] array along dim 1 (zero norms), so K = 1 maps to the
        // equivalent elementwise op.

        /** out_c = Σ_i |rows_ci| (|rows| into scratch, like rows, then a row sum). */
        void rowNorm1(INDArray rows, INDArray scratch, INDArray out) {
            if (rows.size(1) == 1) {
                abs(rows.reshape(rows.size(0)), out);
            } else {
                abs(rows, scratch);
                rowProduct(scratch, 1.0, out);
            }
        }

        /** out_c = Σ_i rows_ci. */
        void rowSum(INDArray rows, INDArray out) {
            reduceRows(rows, 1.0, out);
        }

        /** out_c = Σ_i rows_ci·fl(1/K), the row mean up to rounding: any centre will do, see the callers. */
        void rowMean(INDArray rows, INDArray out) {
            reduceRows(rows, 1.0 / rows.size(1), out);
        }

        private void reduceRows(INDArray rows, double weight, INDArray out) {
            if (rows.size(1) == 1) {
                out.assign(rows.reshape(rows.size(0)));
            } else {
                rowProduct(rows, weight, out);
            }
        }

        /** out_c = Σ_i rows_ci·w (w = 1 or 1/K); rows must be dense c-order (views of the weight arena are). */
        private void rowProduct(INDArray rows, double w, INDArray out) {
            at("gemv", Double.doubleToLongBits(w), rows, null, out, () -> {
                long k = rows.size(1);
                INDArray weights = constants.computeIfAbsent(k + "/" + rows.dataType() + "/" + w,
                        key -> Nd4j.valueArrayOf(new long[] {k}, w, rows.dataType()));
                return new RowProduct(rows, weights, out);
            }).run();
        }

        /** out_c = Σ_i a_ci·b_ci, via an elementwise product into scratch and a row sum. */
        void rowDot(INDArray a, INDArray b, INDArray scratch, INDArray out) {
            mul(a, b, scratch);
            rowSum(scratch, out);
        }

        /** out = a ⊙ b (same shapes, or b a [C, 1] column: one value per row). */
        void mul(INDArray a, INDArray b, INDArray out) {
            elementwise("multiply", LegacyLoop.Pairwise.MULTIPLY, LegacyLoop.Scalar.MULTIPLY, a, b, out);
        }

        /** out = a − b (same shapes, or b a [C, 1] column: one value per row). */
        void sub(INDArray a, INDArray b, INDArray out) {
            elementwise("subtract", LegacyLoop.Pairwise.SUBTRACT, LegacyLoop.Scalar.SUBTRACT, a, b, out);
        }

        private void elementwise(String name, LegacyLoop.Pairwise op, LegacyLoop.Scalar perRow, INDArray a, INDArray b,
                                 INDArray out) {
            if (a.length() == b.length()) {
                loop(name, 0, a, b, out, () -> LegacyLoop.pairwise(op, a, b, out)).run();
            } else {
                loop(name, 1, a, b, out, () -> LegacyLoop.rowScalar(perRow, a, b, out)).run();
            }
        }

        /** out = |x|. */
        void abs(INDArray x, INDArray out) {
            loop("abs", 0, x, null, out, () -> LegacyLoop.transform(LegacyLoop.Transform.ABS, x, out)).run();
        }

        /** out = sign(x), 0 at 0. */
        void sign(INDArray x, INDArray out) {
            loop("sign", 0, x, null, out, () -> LegacyLoop.transform(LegacyLoop.Transform.SIGN, x, out)).run();
        }

        /**
         * out = grad where |x| ≤ cut, 0 where |x| > cut: the straight-through gradient of a clamp
         * to the weight range (scratch, like x, is overwritten). libnd4j's loops that would build
         * the mask in fewer passes were not vectorised in its generic-x86 build: compare-and-set
         * took 53–183 µs on 48,000 values, against 3.6 for abs, 6.9 for step and 4.0 for a product
         * (not re-measured with the AVX2 build now used, where step takes 2.3).
         */
        void passUnclipped(INDArray grad, INDArray x, double cut, INDArray scratch, INDArray out) {
            abs(x, scratch);
            INDArray cutoff = scalar("cut", cut, x.dataType());
            loop("step", 0, scratch, cutoff, scratch,
                    () -> LegacyLoop.scalar(LegacyLoop.Scalar.STEP, scratch, cutoff, scratch)).run();   // 1 where clipped
            mul(grad, scratch, scratch);
            sub(grad, scratch, out);
        }

        /**
         * out = clamp(in, −limit, limit): libnd4j's scalar min and max loops against one-element
         * arrays (3.6 µs each on 48,000 values, 2.4 in the AVX2 build; its one-pass clamp loops took
         * 13.6 (symmetric) and 28 (ClipByValue) in the generic build, 4.0 and still 16 on 27,648 values
         * in the AVX2 one; the clipbyvalue custom op far more). The clamp runs only when some value
         * reaches it.
         */
        void clamp(INDArray in, double limit, INDArray out) {
            INDArray upper = scalar("upper", limit, in.dataType());
            INDArray lower = scalar("lower", -limit, in.dataType());
            loop("minimum", 0, in, upper, out, () -> LegacyLoop.scalar(LegacyLoop.Scalar.MIN, in, upper, out)).run();
            loop("maximum", 0, out, lower, out, () -> LegacyLoop.scalar(LegacyLoop.Scalar.MAX, out, lower, out)).run();
        }

        /**
         * out = round(in) with halves to even, like torch.round, for |in| &lt; 2^22 (callers clamp
         * first): in + 1.5·2^23 − 1.5·2^23 in float (2^52 in double), as FakeQuantKernel explains;
         * 2 × 0.14 µs on small rows against 2.3 for the rint op, 28 µs on [120, 400] against 2 × 5.
         */
        void roundHalfEven(INDArray in, INDArray out) {
            DataType type = in.dataType();
            INDArray magic = scalar("magic", type == DataType.DOUBLE ? 0x1.8p52 : 0x1.8p23, type);
            loop("round+", 0, in, magic, out, () -> LegacyLoop.scalar(LegacyLoop.Scalar.ADD, in, magic, out)).run();
            loop("round-", 0, out, magic, out, () -> LegacyLoop.scalar(LegacyLoop.Scalar.SUBTRACT, out, magic, out)).run();
        }

        /** A one-element array of the given type holding value, one per name (a loop reads it at each call). */
        private INDArray scalar(String name, double value, DataType type) {
            INDArray a = constants.get(name);
            if (a == null || a.dataType() != type) {
                a = Nd4j.create(type, 1);
                constants.put(name, a);
            }
            if (a.getDouble(0) != value) {
                a.putScalar(0, value);
            }
            return a;
        }

        /**
         * out = rtz(in) by a round trip through an int buffer: the float-to-int conversion
         * truncates toward zero, which is exactly rtz (§3.1), and costs far less than fmod.
         * Callers guarantee |in| < 2^31 (values are clamped to the weight range, or bounded by
         * g′ < 2^(M−1)).
         */
        void roundTowardZero(INDArray in, INDArray intScratch, INDArray out) {
            loop("toInt", 0, in, null, intScratch, () -> LegacyLoop.convert(in, intScratch)).run();
            loop("fromInt", 0, intScratch, null, out, () -> LegacyLoop.convert(intScratch, out)).run();
        }
    }

    /** An op kind with its argument, the very arrays it runs on (compared by identity) and the op bound to them. */
    private record Site(String name, long arg, INDArray a, INDArray b, INDArray out, Object op) {
        boolean is(String name, long arg, INDArray a, INDArray b, INDArray out) {
            return this.a == a && this.b == b && this.out == out && this.arg == arg && this.name.equals(name);
        }
    }

    /** Unit roundoff of a floating dtype: the relative error bound of one rounding. */
    static double unitRoundoff(DataType type) {
        switch (type) {
            case DOUBLE:
                return 0x1.0p-53;
            case FLOAT:
                return 0x1.0p-24;
            case HALF:
                return 0x1.0p-11;
            case BFLOAT16:
                return 0x1.0p-8;
            default:
                throw new EngineException("weight quantizers need a floating-point weight, got " + type);
        }
    }

    /** Rows of an integer-valued [C, K] array as long (exact: values are small integers). */
    static long[][] toLongRows(INDArray rows) {
        int channels = (int) rows.size(0);
        int k = (int) rows.size(1);
        long[][] out = new long[channels][k];
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < k; i++) {
                out[c][i] = (long) rows.getDouble(c, i);
            }
        }
        return out;
    }
}
