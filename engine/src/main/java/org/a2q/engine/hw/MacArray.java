package org.a2q.engine.hw;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

import org.a2q.engine.EngineException;

/**
 * A layer mapped onto a FINN-style MVAU (peers.md §3.2): MH output channels, dot-product length MW,
 * folded onto PE processing elements with SIMD lanes each, repeated for every output pixel
 * (conv via im2col: one matrix-vector product per pixel; a fully connected layer has 1 pixel).
 *
 * <h2>Schedule (the order SATURATE depends on)</h2>
 * For each pixel, for each neuron fold nf = 0..MH/PE−1, for each synapse fold sf = 0..MW/SIMD−1,
 * all PEs work in the same cycle: PE p computes output channel c = nf·PE + p, its SIMD lanes take
 * elements i = sf·SIMD + l (l = 0..SIMD−1). The SIMD products are summed by a full-width adder tree
 * (exact: FINN sizes it at W+A+⌈log2 SIMD⌉ bits) and that lane sum is added to the PE's P-bit
 * accumulator once per cycle. So channel c's register sees MW/SIMD updates, lane sums in increasing
 * element order, at cycles
 * <pre>  cycle(c, sf, pixel) = (pixel·(MH/PE) + c/PE)·(MW/SIMD) + sf.</pre>
 * Channel c sits on PE c mod PE, as FINN interleaves weight rows across PEs.
 *
 * @param mh           output channels (MH = Cout)
 * @param mw           dot-product length (MW = K)
 * @param outputPixels matrix-vector products per inference (OH·OW for a conv, 1 for FC)
 * @param folding      PE and SIMD
 */
public record MacArray(int mh, int mw, long outputPixels, Folding folding) {

    public MacArray {
        if (mh < 1 || mw < 1) {
            throw new EngineException("an MVAU needs MH ≥ 1 outputs and MW ≥ 1 inputs, got MH=" + mh + ", MW=" + mw);
        }
        if (outputPixels < 1) {
            throw new EngineException("output pixels must be at least 1 (1 for a fully connected layer), got "
                    + outputPixels);
        }
        if (folding == null) {
            throw new EngineException("no folding given; use PE=1, SIMD=1 for the sequential schedule");
        }
        checkLegal(mh, mw, folding);
    }

    /** The MAC array of a weight matrix, Cout = MH, K = MW. */
    public static MacArray of(IntWeights weights, long outputPixels, Folding folding) {
        return new MacArray(weights.outputs(), weights.length(), outputPixels, folding);
    }

    /**
     * FINN's legality rule: MH % PE == 0 and MW % SIMD == 0, so every fold is full and no lane idles.
     * The error lists the legal values so the user can pick one.
     */
    public static void checkLegal(int mh, int mw, Folding folding) {
        List<String> problems = new ArrayList<>();
        if (mh % folding.pe() != 0) {
            problems.add("PE=" + folding.pe() + " does not divide MH=" + mh + " (legal PE: " + join(divisors(mh)) + ")");
        }
        if (mw % folding.simd() != 0) {
            problems.add("SIMD=" + folding.simd() + " does not divide MW=" + mw + " (legal SIMD: "
                    + join(divisors(mw)) + ")");
        }
        if (!problems.isEmpty()) {
            throw new EngineException("illegal folding for an MVAU with MH=" + mh + ", MW=" + mw + ": "
                    + String.join("; ", problems));
        }
    }

    public static boolean isLegal(int mh, int mw, Folding folding) {
        return mh % folding.pe() == 0 && mw % folding.simd() == 0;
    }

    /** Positive divisors of n in increasing order. */
    public static List<Integer> divisors(int n) {
        if (n < 1) {
            throw new EngineException("divisors are defined here for n ≥ 1, got " + n);
        }
        List<Integer> small = new ArrayList<>();
        List<Integer> large = new ArrayList<>();
        for (int d = 1; (long) d * d <= n; d++) {
            if (n % d == 0) {
                small.add(d);
                if (d != n / d) {
                    large.add(0, n / d);
                }
            }
        }
        small.addAll(large);
        return small;
    }

    /** Every legal folding, PE outer, SIMD inner, both increasing. */
    public static List<Folding> legalFoldings(int mh, int mw) {
        List<Folding> all = new ArrayList<>();
        for (int pe : divisors(mh)) {
            for (int simd : divisors(mw)) {
                all.add(new Folding(pe, simd));
            }
        }
        return all;
    }

    /**
     * Legal foldings that finish within {@code maxCycles}, cheapest first: fewest multipliers
     * (PE·SIMD), then fewer cycles, then fewer PEs (a wider SIMD shares one accumulator, a wider PE
     * adds one accumulator per PE). Empty when even PE=MH, SIMD=MW is too slow.
     */
    public static List<Folding> suggest(int mh, int mw, long outputPixels, long maxCycles) {
        return legalFoldings(mh, mw).stream()
                .filter(f -> new MacArray(mh, mw, outputPixels, f).cycles() <= maxCycles)
                .sorted(Comparator.<Folding>comparingLong(f -> (long) f.pe() * f.simd())
                        .thenComparingLong(f -> new MacArray(mh, mw, outputPixels, f).cycles())
                        .thenComparingInt(Folding::pe))
                .collect(Collectors.toList());
    }

    /** MH / PE: how many times the PEs are reused across output channels. */
    public int neuronFolds() {
        return mh / folding.pe();
    }

    /** MW / SIMD: register updates per dot product. */
    public int synapseFolds() {
        return mw / folding.simd();
    }

    /** cycles = (MH/PE)·(MW/SIMD)·output pixels. */
    public long cycles() {
        return Math.multiplyExact((long) neuronFolds() * synapseFolds(), outputPixels);
    }

    /** Multiply-accumulates per inference, MH·MW·pixels, independent of folding. */
    public long macs() {
        return Math.multiplyExact((long) mh * mw, outputPixels);
    }

    /** Weight memory depth per PE, WMEM = MW·MH/(PE·SIMD). */
    public long weightMemoryDepth() {
        return (long) mw * mh / ((long) folding.pe() * folding.simd());
    }

    /** Threshold memory depth per PE, TMEM = MH/PE. */
    public int thresholdMemoryDepth() {
        return neuronFolds();
    }

    /** The PE (and so the accumulator register) that computes output channel c. */
    public int peOf(int channel) {
        checkChannel(channel);
        return channel % folding.pe();
    }

    /** Cycle (0-based, within one inference) of channel c's register update number sf at a pixel. */
    public long cycleOf(int channel, int synapseFold, long pixel) {
        checkChannel(channel);
        if (synapseFold < 0 || synapseFold >= synapseFolds()) {
            throw new EngineException("synapse fold " + synapseFold + " does not exist; this folding has 0.."
                    + (synapseFolds() - 1));
        }
        if (pixel < 0 || pixel >= outputPixels) {
            throw new EngineException("pixel " + pixel + " does not exist; this layer has 0.." + (outputPixels - 1));
        }
        return (pixel * neuronFolds() + channel / folding.pe()) * synapseFolds() + synapseFold;
    }

    private void checkChannel(int channel) {
        if (channel < 0 || channel >= mh) {
            throw new EngineException("output channel " + channel + " does not exist; this layer has 0.." + (mh - 1));
        }
    }

    private static String join(List<Integer> values) {
        return values.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }
}
