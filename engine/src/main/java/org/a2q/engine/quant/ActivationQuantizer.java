package org.a2q.engine.quant;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.a2q.engine.EngineException;
import org.a2q.engine.nn.AbsorbsRelu;
import org.a2q.engine.nn.Buffers;
import org.a2q.engine.nn.CommutesWithMaxPool;
import org.a2q.engine.nn.Layer;
import org.a2q.engine.nn.Param;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-tensor N-bit activation fake-quantizer, y = s·clamp(round(x/s), lo, hi), with
 * [lo, hi] = [0, 2^N−1] (unsigned, after ReLU) or [−2^(N−1), 2^(N−1)−1] (signed). It fixes
 * the N and signedness that the next conv/linear layer's accumulator bound uses
 * (a2q-math.md §1: "N and 1_s are those of the quantized input of that layer").
 *
 * <p>The scale s is learned (float domain, as Brevitas' QuantReLU in the A2Q examples) with the
 * straight-through estimator: ∂y/∂x = 1 inside the range, 0 where clipped; ∂y/∂s = q − x/s
 * inside, q (= lo or hi) where clipped (LSQ, Esser et al. 2020). It is initialised from a high
 * percentile of |x| observed over calibration batches. A fixed scale (the image input, 1/255)
 * has no parameter.
 */
public final class ActivationQuantizer extends Layer implements AbsorbsRelu, CommutesWithMaxPool {
    /** The percentile of |x| that maps to the top of the range at calibration (as the CIFAR example). */
    public static final double CALIBRATION_PERCENTILE = 99.999;
    private static final double MIN_SCALE = 1e-10;
    private static final int MAX_CALIBRATION_VALUES = 2_000_000;

    private final int bits;
    private final boolean signed;
    private final double lo;
    private final double hi;
    private final Param scale;          // null when fixed
    private final double fixedScale;

    private boolean calibrating;
    private final List<float[]> observed = new ArrayList<>();
    private long observedCount;

    private INDArray input;             // x of the last forward (fixed scale only: t is recomputed from it)
    private INDArray scaled;            // t = x/s of the last forward
    private INDArray codes;             // q = round(clamp(t, lo, hi)) of the last forward
    private INDArray output;
    private INDArray passScratch;
    private final FakeQuantKernel kernel = new FakeQuantKernel();

    private ActivationQuantizer(String name, int bits, boolean signed, Double fixedScale) {
        super("actquant");
        if (bits < 1 || bits > 16) {
            throw new EngineException("activation bits must be in 1..16, got " + bits);
        }
        this.bits = bits;
        this.signed = signed;
        this.lo = signed ? -Math.pow(2, bits - 1) : 0;
        this.hi = signed ? Math.pow(2, bits - 1) - 1 : Math.pow(2, bits) - 1;
        if (signed && bits < 2) {
            throw new EngineException("a signed activation quantizer needs at least 2 bits");
        }
        if (fixedScale != null) {
            if (!(fixedScale > 0)) {
                throw new EngineException("quantizer scale must be > 0, got " + fixedScale);
            }
            this.scale = null;
            this.fixedScale = fixedScale;
        } else {
            this.scale = new Param(name + ".scale", Param.Kind.SCALE, Nd4j.scalar(Nd4j.defaultFloatingPointType(), 1.0).reshape(1));
            this.fixedScale = Double.NaN;
        }
    }

    /** A learned-scale quantizer (scale 1 until calibrated). */
    public static ActivationQuantizer learned(String name, int bits, boolean signed) {
        return new ActivationQuantizer(name, bits, signed, null);
    }

    /** A quantizer whose scale never changes (8-bit images: s = 1/255 maps pixel/255 back to the pixel). */
    public static ActivationQuantizer fixed(String name, int bits, boolean signed, double scale) {
        return new ActivationQuantizer(name, bits, signed, scale);
    }

    public int bits() { return bits; }
    public boolean signed() { return signed; }
    public boolean learnedScale() { return scale != null; }
    /** Smallest and largest integer code. */
    public long minCode() { return (long) lo; }
    public long maxCode() { return (long) hi; }

    public double scale() {
        return scale == null ? fixedScale : Math.max(MIN_SCALE, scale.value().getDouble(0));
    }

    public void setScale(double s) {
        if (scale == null || !(s > 0) || !Double.isFinite(s)) {
            throw new EngineException("cannot set scale " + s + " on this quantizer");
        }
        scale.value().assign(s);
    }

    /** While calibrating, forward passes x through unchanged and records it. */
    public void startCalibration() {
        calibrating = true;
        observed.clear();
        observedCount = 0;
    }

    /** Sets s so the chosen percentile of the observed |x| lands on the top code. */
    public void finishCalibration() {
        calibrating = false;
        if (scale == null || observedCount == 0) {
            return;
        }
        double[] all = new double[(int) Math.min(observedCount, MAX_CALIBRATION_VALUES)];
        int k = 0;
        for (float[] f : observed) {
            for (int i = 0; i < f.length && k < all.length; i++) {
                all[k++] = Math.abs(f[i]);
            }
        }
        observed.clear();
        Arrays.sort(all, 0, k);
        double pct = all[Math.min(k - 1, (int) Math.floor(CALIBRATION_PERCENTILE / 100.0 * (k - 1)))];
        double top = signed ? -lo : hi;
        setScale(Math.max(pct / top, 1e-8));
    }

    @Override
    public long[] outputShape(long[]... in) {
        return in[0].clone();
    }

    @Override
    public INDArray forward(INDArray[] inputs, boolean training) {
        INDArray x = inputs[0];
        if (calibrating) {
            if (observedCount < MAX_CALIBRATION_VALUES) {
                float[] f = x.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
                observed.add(f);
                observedCount += f.length;
            }
            return x;
        }
        output = Buffers.like(output, x);
        double s = scale();
        if (scale == null) {
            // Fixed scale (the image input): backward needs neither q (no scale gradient) nor t
            // unless an input gradient is asked for, and then recomputes t from x. So everything
            // runs in place in the output (LeNet: two fewer [32, 1, 28, 28] buffers per half).
            input = x;
            kernel.quantize(x, s, lo, hi, output, output, output);
            return output;
        }
        scaled = Buffers.like(scaled, x);
        codes = Buffers.like(codes, x);
        kernel.quantize(x, s, lo, hi, scaled, codes, output);   // t = x/s, q = round(clamp(t, lo, hi)), y = s·q
        return output;
    }

    /**
     * Integer codes clamp(round(x/s), lo, hi) of x as floats, written to {@code out} (same shape),
     * with exactly the arithmetic of the forward pass: what tests hold the integer model's own
     * Java quantizer (IntegerModel.quantizeCodes) to.
     */
    public void codes(INDArray x, INDArray out) {
        kernel.quantize(x, scale(), lo, hi, Buffers.like(null, x), out, null);
    }

    @Override
    public void backward(INDArray gradOutput, INDArray[] gradInputs) {
        backward(gradOutput, gradInputs[0], false);
    }

    /**
     * Backward with the straight-through estimator: dL/dx = dy·[lo ≤ t ≤ hi]; with
     * {@code afterRelu} the lower end is strict, [0 < t ≤ hi], which is the gradient of
     * relu-then-quantize when the ReLU's own pass was skipped (the clamp at lo = 0 already is the
     * ReLU in value). ∂L/∂s = Σ dy·(q − t·inside) = Σ dy·q − Σ (dL/dx)·t (LSQ).
     */
    void backward(INDArray gradOutput, INDArray gradInput, boolean afterRelu) {
        if (gradInput == null && scale == null) {
            return;
        }
        if (scale == null) {
            scaled = Buffers.like(scaled, input);
            kernel.scaled(input, fixedScale, scaled);   // t = x/s, as forward computed it
        }
        INDArray gradIn = gradInput != null ? gradInput : (passScratch = Buffers.like(passScratch, scaled));
        double lowerCut = afterRelu ? 0.0 : kernel.below(lo, scaled.dataType());
        double scaleGradient = kernel.backward(gradOutput, scaled, scale != null ? codes : null, lowerCut, hi, gradIn);
        if (scale != null) {
            scale.grad().putScalar(0, scaleGradient);
        }
    }

    /**
     * x ↦ s·clamp(round(x/s)) is non-decreasing (division by s &gt; 0, clamping, rounding and
     * multiplication are each monotone in floating point too), so a max-pool reading it may run
     * first; not while calibrating, which must see the whole tensor.
     */
    @Override
    public boolean commutesWithMaxPool() {
        return !calibrating;
    }

    /** y = s·q of x into a new array, without touching the state backward uses. */
    @Override
    public INDArray apply(INDArray x) {
        INDArray y = Buffers.like(null, x);
        kernel.quantize(x, scale(), lo, hi, Buffers.like(null, x), Buffers.like(null, x), y);
        return y;
    }

    /** An unsigned quantizer clamps at 0, so it can stand in for a ReLU right before it (not while calibrating). */
    @Override
    public boolean absorbsRelu() {
        return !calibrating && lo == 0;
    }

    @Override
    public void backwardAfterRelu(INDArray gradOutput, INDArray gradInput) {
        backward(gradOutput, gradInput, true);
    }

    @Override
    public List<Param> params() {
        return scale == null ? List.of() : List.of(scale);
    }

    @Override
    public Map<String, Object> attributes() {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("bits", bits);
        a.put("signed", signed);
        if (scale == null) {
            a.put("scale", fixedScale);
        }
        return a;
    }
}
