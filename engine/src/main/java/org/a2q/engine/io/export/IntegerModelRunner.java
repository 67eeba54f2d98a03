package org.a2q.engine.io.export;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.a2q.engine.EngineException;
import org.a2q.engine.hw.IntegerModel;
import org.a2q.engine.io.export.IntegerModelDocument.LayerDoc;
import org.a2q.engine.io.export.IntegerModelDocument.NodeDoc;

/**
 * Runs an integer-model document on one sample using nothing but the document: the reference
 * semantics that {@code engine/docs/integer-model.md} specifies, and the source of the golden
 * vectors. Dot products are exact 64-bit integer sums; the requantisation and the float ops between
 * quantizers are done in the same order and precision as the engine's {@code hw.IntegerModel}
 * (double multiply-add, rounded to float32; float32 elsewhere), so the two agree bit for bit.
 */
public final class IntegerModelRunner {
    /** What one sample produced: codes of every quantizer, accumulators of every layer, the output. */
    public record Trace(int[] inputCodes, Map<String, int[]> codes, Map<String, long[]> accumulators, float[] output) { }

    /** A value flowing between nodes: codes on a quantizer's grid (with its scale), or float32 reals. */
    private static final class Value {
        int[] codes;
        float scale;
        float[] real;
        long[] shape;

        float[] real() {
            if (real == null) {
                real = new float[codes.length];
                for (int i = 0; i < codes.length; i++) {
                    real[i] = codes[i] * scale;
                }
            }
            return real;
        }
    }

    private final IntegerModelDocument doc;
    private final Map<String, LayerDoc> layers = new HashMap<>();

    public IntegerModelRunner(IntegerModelDocument doc) {
        this.doc = doc;
        for (LayerDoc l : doc.layers()) {
            layers.put(l.name(), l);
        }
    }

    /** Runs one sample given as real input values (for images: pixel/255), C·H·W of them. */
    public Trace run(float[] x) {
        long n = IntegerModelDocument.count(doc.input().shape(), "input");
        if (x.length != n) {
            throw new EngineException("the model takes " + n + " input values per sample, got " + x.length);
        }
        Map<String, Value> values = new HashMap<>();
        Value in = new Value();
        in.real = x;
        in.shape = doc.input().shape();
        values.put("input", in);
        Map<String, int[]> codes = new LinkedHashMap<>();
        Map<String, long[]> accs = new LinkedHashMap<>();
        int[] inputCodes = null;
        for (NodeDoc node : doc.nodes()) {
            List<String> ins = node.inputs();
            Value a = values.get(ins.get(0));
            Value out = switch (node.op()) {
                case "quant" -> {
                    Value v = quantize(a, node.attrs());
                    codes.put(node.name(), v.codes);
                    if (inputCodes == null && ins.get(0).equals("input")) {
                        inputCodes = v.codes;
                    }
                    yield v;
                }
                case "conv", "linear" -> {
                    LayerDoc l = layers.get(node.attrs().path("layer").asText(node.name()));
                    if (l == null) {
                        throw new EngineException("node '" + node.name() + "' names no layer of the document");
                    }
                    if (a.codes == null) {
                        throw new EngineException("layer '" + l.name() + "' reads real values; its input must come "
                                + "from a quantizer through grid-preserving nodes");
                    }
                    long[] acc = accumulate(l, a.codes);
                    accs.put(l.name(), acc);
                    yield requantize(l, acc);
                }
                case "relu" -> map(a, v -> Math.max(v, 0f));
                case "clip" -> {
                    float lo = (float) node.attrs().path("min").asDouble();
                    float hi = (float) node.attrs().path("max").asDouble();
                    yield map(a, v -> Math.min(Math.max(v, lo), hi));
                }
                case "identity", "flatten", "reshape" -> {
                    Value v = new Value();
                    v.codes = a.codes;
                    v.scale = a.scale;
                    v.real = a.real;
                    yield v;
                }
                case "add" -> {
                    float[] p = a.real();
                    float[] q = values.get(ins.get(1)).real();
                    float[] r = new float[p.length];
                    for (int i = 0; i < r.length; i++) {
                        r[i] = p[i] + q[i];
                    }
                    Value v = new Value();
                    v.real = r;
                    yield v;
                }
                case "batchnorm" -> batchNorm(a, node);
                case "maxpool", "avgpool" -> pool(a, node, ins.get(0), values);
                case "global_avgpool" -> globalAvg(a, shapeOf(ins.get(0), values));
                default -> throw new EngineException("node '" + node.name() + "': op '" + node.op()
                        + "' is not part of integer-model version " + IntegerModelJson.VERSION);
            };
            out.shape = node.shape();
            values.put(node.name(), out);
        }
        return new Trace(inputCodes, codes, accs, values.get(doc.output()).real().clone());
    }

    private long[] shapeOf(String name, Map<String, Value> values) {
        return values.get(name).shape;
    }

    /**
     * code = clamp(round(x / s), min, max): the division in float32 as the engine's fake quantizer
     * does it, clamp before rounding (same result, bounds are integers), halves to even.
     */
    private static Value quantize(Value a, JsonNode attrs) {
        float s = (float) attrs.path("scale").asDouble();
        float lo = attrs.path("min").asLong();
        float hi = attrs.path("max").asLong();
        float[] x = a.real();
        int[] c = new int[x.length];
        IntegerModel.quantizeCodes(x, 0, s, lo, hi, c);
        Value v = new Value();
        v.codes = c;
        v.scale = s;
        return v;
    }

    /** acc[c·pixels + p] = Σ_i q[c][i]·patch_p[i], with zero codes in the padding (zero-point 0). */
    static long[] accumulate(LayerDoc l, int[] x) {
        int cout = l.outputChannels();
        int k = l.dotLength();
        if (!l.conv()) {
            if (x.length != k) {
                throw new EngineException("layer '" + l.name() + "' expects " + k + " inputs, got " + x.length);
            }
            long[] acc = new long[cout];
            for (int c = 0; c < cout; c++) {
                long s = 0;
                long[] q = l.q()[c];
                for (int i = 0; i < k; i++) {
                    s += q[i] * x[i];
                }
                acc[c] = s;
            }
            return acc;
        }
        int cin = (int) l.weightShape()[1];
        int kh = (int) l.weightShape()[2];
        int kw = (int) l.weightShape()[3];
        int h = (int) l.inputShape()[1];
        int w = (int) l.inputShape()[2];
        int sh = l.stride()[0];
        int sw = l.stride()[1];
        int ph = l.padding()[0];
        int pw = l.padding()[1];
        int oh = (h + 2 * ph - kh) / sh + 1;
        int ow = (w + 2 * pw - kw) / sw + 1;
        if (x.length != (long) cin * h * w) {
            throw new EngineException("layer '" + l.name() + "' expects " + cin * h * w + " inputs, got " + x.length);
        }
        long[] acc = new long[cout * oh * ow];
        for (int c = 0; c < cout; c++) {
            long[] q = l.q()[c];
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    long s = 0;
                    int i = 0;
                    for (int ci = 0; ci < cin; ci++) {
                        for (int a = 0; a < kh; a++) {
                            int y = oy * sh - ph + a;
                            for (int b = 0; b < kw; b++, i++) {
                                int xx = ox * sw - pw + b;
                                if (y >= 0 && y < h && xx >= 0 && xx < w) {
                                    s += q[i] * x[(ci * h + y) * w + xx];
                                }
                            }
                        }
                    }
                    acc[(c * oh + oy) * ow + ox] = s;
                }
            }
        }
        return acc;
    }

    /** real = (s_w[c]·s_x)·acc + bias[c] in double, then float32: the engine's order of operations. */
    private static Value requantize(LayerDoc l, long[] acc) {
        int cout = l.outputChannels();
        int pixels = acc.length / cout;
        float[] r = new float[acc.length];
        for (int c = 0; c < cout; c++) {
            double m = l.weightScale()[c] * l.inputScale();
            for (int p = 0; p < pixels; p++) {
                r[c * pixels + p] = (float) (m * acc[c * pixels + p] + l.bias()[c]);
            }
        }
        Value v = new Value();
        v.real = r;
        return v;
    }

    private interface FloatOp {
        float apply(float v);
    }

    private static Value map(Value a, FloatOp f) {
        float[] x = a.real();
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            r[i] = f.apply(x[i]);
        }
        Value v = new Value();
        v.real = r;
        return v;
    }

    private static Value batchNorm(Value a, NodeDoc node) {
        JsonNode t = node.attrs();
        int ch = (int) node.shape()[0];
        float[] x = a.real();
        int per = x.length / ch;
        float[] r = new float[x.length];
        double eps = t.path("eps").asDouble();
        for (int c = 0; c < ch; c++) {
            float mul = (float) (t.path("gamma").get(c).asDouble() / Math.sqrt(t.path("var").get(c).asDouble() + eps));
            float mean = (float) t.path("mean").get(c).asDouble();
            float beta = (float) t.path("beta").get(c).asDouble();
            for (int i = 0; i < per; i++) {
                r[c * per + i] = (x[c * per + i] - mean) * mul + beta;
            }
        }
        Value v = new Value();
        v.real = r;
        return v;
    }

    /** Max-pool keeps the codes when its input has them (max of codes = code of the max); avg-pool is float. */
    private Value pool(Value a, NodeDoc node, String input, Map<String, Value> values) {
        JsonNode t = node.attrs();
        int[] k = IntegerModelDocument.ints(t.path("kernel"), 2, node.name() + " kernel");
        int[] s = IntegerModelDocument.ints(t.path("stride"), 2, node.name() + " stride");
        int[] p = IntegerModelDocument.ints(t.path("padding"), 2, node.name() + " padding");
        boolean max = node.op().equals("maxpool");
        boolean includePad = t.path("count_include_pad").asBoolean(false);
        long[] in = shapeOf(input, values);
        int ch = (int) in[0];
        int h = (int) in[1];
        int w = (int) in[2];
        int oh = (int) node.shape()[1];
        int ow = (int) node.shape()[2];
        boolean onCodes = max && a.codes != null;
        float[] x = onCodes ? null : a.real();
        int[] codes = onCodes ? new int[ch * oh * ow] : null;
        float[] real = onCodes ? null : new float[ch * oh * ow];
        int o = 0;
        for (int c = 0; c < ch; c++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++, o++) {
                    int best = Integer.MIN_VALUE;
                    float m = Float.NEGATIVE_INFINITY;
                    float sum = 0;
                    int n = 0;
                    for (int dy = 0; dy < k[0]; dy++) {
                        int y = oy * s[0] - p[0] + dy;
                        for (int dx = 0; dx < k[1]; dx++) {
                            int xx = ox * s[1] - p[1] + dx;
                            boolean inside = y >= 0 && y < h && xx >= 0 && xx < w;
                            if (inside) {
                                int idx = (c * h + y) * w + xx;
                                if (onCodes) {
                                    best = Math.max(best, a.codes[idx]);
                                } else {
                                    m = Math.max(m, x[idx]);
                                    sum += x[idx];
                                }
                            }
                            if (inside || includePad) {
                                n++;
                            }
                        }
                    }
                    if (onCodes) {
                        codes[o] = best;
                    } else {
                        real[o] = max ? m : sum / n;
                    }
                }
            }
        }
        Value v = new Value();
        v.codes = codes;
        v.scale = a.scale;
        v.real = real;
        return v;
    }

    private static Value globalAvg(Value a, long[] in) {
        float[] x = a.real();
        int ch = (int) in[0];
        int per = x.length / ch;
        float[] r = new float[ch];
        for (int c = 0; c < ch; c++) {
            float sum = 0;
            for (int i = 0; i < per; i++) {
                sum += x[c * per + i];
            }
            r[c] = sum / per;
        }
        Value v = new Value();
        v.real = r;
        return v;
    }
}
