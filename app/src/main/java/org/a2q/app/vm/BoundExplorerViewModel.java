package org.a2q.app.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import org.a2q.app.vm.AccumulatorBounds.Fraction;
import org.a2q.app.vm.AccumulatorBounds.WorstCase;

/**
 * State of the Learn view's bound explorer: the bit widths a student moves and everything that
 * follows from them. Recomputes on every change (the arithmetic is a few integer loops), so the
 * view only binds labels to the read-only properties below.
 */
public final class BoundExplorerViewModel {
    public static final int MIN_BITS = org.a2q.engine.quant.AccumulatorBound.MIN_INPUT_BITS;
    public static final int MAX_INPUT_BITS = org.a2q.engine.quant.AccumulatorBound.MAX_INPUT_BITS;
    /** The engine's limits: one weight bit would leave only the zero weight in the narrow range. */
    public static final int MIN_WEIGHT_BITS = org.a2q.engine.quant.AccumulatorBound.MIN_WEIGHT_BITS;
    public static final int MAX_WEIGHT_BITS = org.a2q.engine.quant.AccumulatorBound.MAX_WEIGHT_BITS;
    public static final int MIN_ACC_BITS = org.a2q.engine.quant.AccumulatorBound.MIN_ACCUMULATOR_BITS;
    public static final int MAX_ACC_BITS = 32;
    public static final int MAX_K = 1 << 20;
    /** Keeps the hand-typed vector small enough to read and its sums far from long overflow. */
    public static final int MAX_VECTOR_LENGTH = 4096;
    private static final long MAX_WEIGHT_VALUE = 1L << 30;

    private final IntegerProperty inputBits = new SimpleIntegerProperty(this, "inputBits", 4);
    private final IntegerProperty weightBits = new SimpleIntegerProperty(this, "weightBits", 4);
    private final IntegerProperty accBits = new SimpleIntegerProperty(this, "accBits", 12);
    private final IntegerProperty dotLength = new SimpleIntegerProperty(this, "dotLength", 576);
    private final BooleanProperty signedInputs = new SimpleBooleanProperty(this, "signedInputs", false);
    private final StringProperty weightsText = new SimpleStringProperty(this, "weightsText", "3, -5, 7, 0, -2, 1");

    private final ReadOnlyDoubleWrapper tA2q = new ReadOnlyDoubleWrapper(this, "tA2q");
    private final ReadOnlyDoubleWrapper tPlus = new ReadOnlyDoubleWrapper(this, "tPlus");
    private final ReadOnlyStringWrapper tA2qText = new ReadOnlyStringWrapper(this, "tA2qText");
    private final ReadOnlyStringWrapper tPlusText = new ReadOnlyStringWrapper(this, "tPlusText");
    private final ReadOnlyStringWrapper tA2qFloorText = new ReadOnlyStringWrapper(this, "tA2qFloorText");
    private final ReadOnlyStringWrapper tPlusFloorText = new ReadOnlyStringWrapper(this, "tPlusFloorText");
    private final ReadOnlyStringWrapper ratioText = new ReadOnlyStringWrapper(this, "ratioText");
    private final ReadOnlyStringWrapper inputRangeText = new ReadOnlyStringWrapper(this, "inputRangeText");
    private final ReadOnlyStringWrapper weightRangeText = new ReadOnlyStringWrapper(this, "weightRangeText");
    private final ReadOnlyStringWrapper accRangeText = new ReadOnlyStringWrapper(this, "accRangeText");
    private final ReadOnlyStringWrapper dataTypeText = new ReadOnlyStringWrapper(this, "dataTypeText");
    private final ReadOnlyStringWrapper dataTypeBitsText = new ReadOnlyStringWrapper(this, "dataTypeBitsText");
    private final ReadOnlyStringWrapper dataTypeVerdict = new ReadOnlyStringWrapper(this, "dataTypeVerdict");
    private final ReadOnlyBooleanWrapper dataTypeFits = new ReadOnlyBooleanWrapper(this, "dataTypeFits");
    private final ReadOnlyStringWrapper sparsityText = new ReadOnlyStringWrapper(this, "sparsityText");

    private final ReadOnlyStringWrapper vectorError = new ReadOnlyStringWrapper(this, "vectorError", "");
    private final ReadOnlyStringWrapper vectorWarning = new ReadOnlyStringWrapper(this, "vectorWarning", "");
    private final ReadOnlyStringWrapper l1Text = new ReadOnlyStringWrapper(this, "l1Text");
    private final ReadOnlyStringWrapper posNegText = new ReadOnlyStringWrapper(this, "posNegText");
    private final ReadOnlyStringWrapper worstCaseText = new ReadOnlyStringWrapper(this, "worstCaseText");
    private final ReadOnlyStringWrapper widthsText = new ReadOnlyStringWrapper(this, "widthsText");
    private final ReadOnlyStringWrapper a2qVerdict = new ReadOnlyStringWrapper(this, "a2qVerdict");
    private final ReadOnlyStringWrapper plusVerdict = new ReadOnlyStringWrapper(this, "plusVerdict");
    private final ReadOnlyStringWrapper exactVerdict = new ReadOnlyStringWrapper(this, "exactVerdict");
    private final ReadOnlyBooleanWrapper a2qOk = new ReadOnlyBooleanWrapper(this, "a2qOk");
    private final ReadOnlyBooleanWrapper plusOk = new ReadOnlyBooleanWrapper(this, "plusOk");
    private final ReadOnlyBooleanWrapper exactOk = new ReadOnlyBooleanWrapper(this, "exactOk");

    private WorstCase worstCase;

    public BoundExplorerViewModel() {
        inputBits.addListener((o, a, b) -> recompute());
        weightBits.addListener((o, a, b) -> recompute());
        accBits.addListener((o, a, b) -> recompute());
        dotLength.addListener((o, a, b) -> recompute());
        signedInputs.addListener((o, a, b) -> recompute());
        weightsText.addListener((o, a, b) -> recompute());
        recompute();
    }

    public IntegerProperty inputBitsProperty() { return inputBits; }
    public IntegerProperty weightBitsProperty() { return weightBits; }
    public IntegerProperty accBitsProperty() { return accBits; }
    public IntegerProperty dotLengthProperty() { return dotLength; }
    public BooleanProperty signedInputsProperty() { return signedInputs; }
    public StringProperty weightsTextProperty() { return weightsText; }

    public ReadOnlyDoubleProperty tA2qProperty() { return tA2q.getReadOnlyProperty(); }
    public ReadOnlyDoubleProperty tPlusProperty() { return tPlus.getReadOnlyProperty(); }
    public ReadOnlyStringProperty tA2qTextProperty() { return tA2qText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty tPlusTextProperty() { return tPlusText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty tA2qFloorTextProperty() { return tA2qFloorText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty tPlusFloorTextProperty() { return tPlusFloorText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty ratioTextProperty() { return ratioText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty inputRangeTextProperty() { return inputRangeText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty weightRangeTextProperty() { return weightRangeText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty accRangeTextProperty() { return accRangeText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty dataTypeTextProperty() { return dataTypeText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty dataTypeBitsTextProperty() { return dataTypeBitsText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty dataTypeVerdictProperty() { return dataTypeVerdict.getReadOnlyProperty(); }
    public ReadOnlyBooleanProperty dataTypeFitsProperty() { return dataTypeFits.getReadOnlyProperty(); }
    public ReadOnlyStringProperty sparsityTextProperty() { return sparsityText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty vectorErrorProperty() { return vectorError.getReadOnlyProperty(); }
    public ReadOnlyStringProperty vectorWarningProperty() { return vectorWarning.getReadOnlyProperty(); }
    public ReadOnlyStringProperty l1TextProperty() { return l1Text.getReadOnlyProperty(); }
    public ReadOnlyStringProperty posNegTextProperty() { return posNegText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty worstCaseTextProperty() { return worstCaseText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty widthsTextProperty() { return widthsText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty a2qVerdictProperty() { return a2qVerdict.getReadOnlyProperty(); }
    public ReadOnlyStringProperty plusVerdictProperty() { return plusVerdict.getReadOnlyProperty(); }
    public ReadOnlyStringProperty exactVerdictProperty() { return exactVerdict.getReadOnlyProperty(); }
    public ReadOnlyBooleanProperty a2qOkProperty() { return a2qOk.getReadOnlyProperty(); }
    public ReadOnlyBooleanProperty plusOkProperty() { return plusOk.getReadOnlyProperty(); }
    public ReadOnlyBooleanProperty exactOkProperty() { return exactOk.getReadOnlyProperty(); }

    /** The analysis of the typed vector, or null while the text does not parse. */
    public WorstCase worstCase() { return worstCase; }

    private void recompute() {
        int n = clamp(inputBits.get(), MIN_BITS, MAX_INPUT_BITS);
        int m = clamp(weightBits.get(), MIN_WEIGHT_BITS, MAX_WEIGHT_BITS);
        int p = clamp(accBits.get(), MIN_ACC_BITS, MAX_ACC_BITS);
        long k = clamp(dotLength.get(), 1, MAX_K);
        boolean s = signedInputs.get();

        Fraction a = AccumulatorBounds.tA2q(p, n, s);
        Fraction plus = AccumulatorBounds.tPlus(p, n);
        tA2q.set(a.value());
        tPlus.set(plus.value());
        tA2qText.set(exactAndDecimal(a));
        tPlusText.set(exactAndDecimal(plus));
        tA2qFloorText.set(String.format(Locale.ROOT, "%,d", a.floor()));
        tPlusFloorText.set(String.format(Locale.ROOT, "%,d", plus.floor()));
        ratioText.set(String.format(Locale.ROOT, "×%.4f", plus.value() / a.value()));

        inputRangeText.set(range(AccumulatorBounds.inputMin(n, s), AccumulatorBounds.inputMax(n, s)));
        long wMax = AccumulatorBounds.weightMaxMagnitude(m);
        weightRangeText.set(range(-wMax, wMax));
        long accHalf = AccumulatorBounds.pow2(p - 1);
        accRangeText.set(range(-accHalf, accHalf - 1));

        long magnitude = AccumulatorBounds.dataTypeMagnitude(k, n, m, s);
        int pdt = AccumulatorBounds.dataTypeBits(k, n, m, s);
        dataTypeText.set(String.format(Locale.ROOT, "|y| ≤ K · 2^%d · 2^%d = %,d · %,d · %,d = %,d",
                n - (s ? 1 : 0), m - 1, k, AccumulatorBounds.pow2(n - (s ? 1 : 0)), AccumulatorBounds.pow2(m - 1),
                magnitude));
        dataTypeBitsText.set(pdt + " bits");
        dataTypeFits.set(pdt <= p);
        dataTypeVerdict.set(pdt <= p
                ? "P = " + p + " is enough for any weights: no budget needed."
                : "P = " + p + " is " + (pdt - p) + " bit" + (pdt - p == 1 ? "" : "s")
                        + " short of P_dt, so only a weight budget (A2Q/A2Q+) rules out overflow.");
        long nzA = Math.min(k, a.floor());
        long nzP = Math.min(k, plus.floor());
        sparsityText.set(String.format(Locale.ROOT,
                "With K = %,d: A2Q allows at most %,d non-zero weights per channel (≥ %s zeros), A2Q+ at most %,d (≥ %s).",
                k, nzA, percent(1 - (double) nzA / k), nzP, percent(1 - (double) nzP / k)));

        analyseVector(n, m, p, s, a, plus);
    }

    private void analyseVector(int n, int m, int p, boolean s, Fraction a, Fraction plus) {
        long[] q;
        try {
            q = parseVector(weightsText.get());
        } catch (IllegalArgumentException e) {
            worstCase = null;
            vectorError.set(e.getMessage());
            vectorWarning.set("");
            for (ReadOnlyStringWrapper w : List.of(l1Text, posNegText, worstCaseText, widthsText, a2qVerdict,
                    plusVerdict, exactVerdict)) {
                w.set("—");
            }
            a2qOk.set(false);
            plusOk.set(false);
            exactOk.set(false);
            return;
        }
        vectorError.set("");
        WorstCase w = AccumulatorBounds.worstCase(q, n, s);
        worstCase = w;
        long wMax = AccumulatorBounds.weightMaxMagnitude(m);
        List<String> outside = new ArrayList<>();
        for (long v : q) {
            if (Math.abs(v) > wMax && outside.size() < 3) {
                outside.add(Long.toString(v));
            }
        }
        vectorWarning.set(outside.isEmpty() ? ""
                : "Note: " + String.join(", ", outside) + " lie outside the " + m + "-bit weight range ±" + wMax
                        + "; the bounds below still hold for the vector as typed.");
        l1Text.set(String.format(Locale.ROOT, "%,d", w.l1()));
        posNegText.set(String.format(Locale.ROOT, "%,d / %,d", w.pos(), w.neg()));
        worstCaseText.set(range(w.lo(), w.hi()));
        widthsText.set(String.format(Locale.ROOT, "exact %d · A2Q %d · A2Q+ %d",
                w.exactBits(), w.a2qBits(), w.plusBitsSafe()));

        boolean inA2q = w.l1() <= a.floor();
        a2qOk.set(inA2q);
        a2qVerdict.set(String.format(Locale.ROOT, "‖q‖₁ = %,d %s T = %s", w.l1(), inA2q ? "≤" : ">",
                AccumulatorBounds.format(a.value())));
        long half = Math.max(w.pos(), w.neg());
        // max(Pos, Neg)·(2^N − 1) ≤ 2^(P−1) − 1 is the exact form of max(Pos, Neg) ≤ T₊/2 (§2.3).
        boolean inPlus = Math.multiplyExact(half, AccumulatorBounds.pow2(n) - 1) <= AccumulatorBounds.pow2(p - 1) - 1;
        plusOk.set(inPlus);
        plusVerdict.set(String.format(Locale.ROOT, "max(Pos, Neg) = %,d %s T₊/2 = %s", half, inPlus ? "≤" : ">",
                AccumulatorBounds.format(plus.value() / 2)));
        boolean fits = AccumulatorBounds.fits(w.hi(), w.lo(), p);
        exactOk.set(fits);
        exactVerdict.set(fits
                ? "The worst case fits in " + p + " bits: this channel can never overflow."
                : "The worst case needs " + w.exactBits() + " bits: a " + p + "-bit accumulator can overflow.");
    }

    /**
     * Reads integers separated by commas, semicolons or spaces; accepts the typographic minus
     * sign that slides and lesson texts often contain.
     *
     * @throws IllegalArgumentException with a message saying what to type instead
     */
    public static long[] parseVector(String text) {
        String t = text == null ? "" : text.replace('−', '-').replace('[', ' ').replace(']', ' ').trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("Type a few integer weights, e.g. 3, -5, 7, 0, -2, 1");
        }
        String[] parts = t.split("[,;\\s]+");
        if (parts.length > MAX_VECTOR_LENGTH) {
            throw new IllegalArgumentException("At most " + MAX_VECTOR_LENGTH + " weights, got " + parts.length);
        }
        long[] q = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                q[i] = Long.parseLong(parts[i].startsWith("+") ? parts[i].substring(1) : parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + parts[i] + "' is not an integer; quantized weights are "
                        + "whole numbers such as -3 or 7");
            }
            if (Math.abs(q[i]) > MAX_WEIGHT_VALUE) {
                throw new IllegalArgumentException(parts[i] + " is too large for this explorer; keep weights within ±"
                        + MAX_WEIGHT_VALUE);
            }
        }
        return q;
    }

    private static String exactAndDecimal(Fraction f) {
        String decimal = AccumulatorBounds.format(f.value());
        return f.denominator() == 1 ? decimal : f.exact() + " = " + decimal;
    }

    private static String range(long lo, long hi) {
        // "…" rather than a comma: the numbers themselves carry thousands separators.
        return String.format(Locale.ROOT, "%,d … %,d", lo, hi);
    }

    private static String percent(double f) {
        return String.format(Locale.ROOT, "%.2f %%", 100 * Math.max(0, f));
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
