package org.a2q.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.a2q.engine.DoublePrecision;
import org.a2q.engine.EngineException;
import org.a2q.engine.model.GraphSpec;
import org.a2q.engine.model.ModelTemplates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Whole-graph gradient checks (fan-out, residual adds) and graph validation. */
class GraphTest {
    @BeforeAll
    static void useDouble() {
        DoublePrecision.enter();
    }

    @AfterAll
    static void restore() {
        DoublePrecision.leave();
    }

    /** Central differences of L = Σ out ∘ R with respect to every parameter of the graph. */
    private static void checkGraph(Graph g, INDArray x, long seed) {
        INDArray out = g.forward(x, true);
        INDArray r = Init.uniform(new SplittableRandom(seed), -1, 1, out.shape());
        g.backward(r);
        INDArray analytic = g.gradArena().dup();
        INDArray values = g.valueArena();
        long n = values.length();
        long stride = Math.max(1, n / 60);
        for (long i = 0; i < n; i += stride) {
            double orig = values.getDouble(i);
            values.putScalar(i, orig + 1e-6);
            double plus = g.forward(x, true).mul(r).sumNumber().doubleValue();
            values.putScalar(i, orig - 1e-6);
            double minus = g.forward(x, true).mul(r).sumNumber().doubleValue();
            values.putScalar(i, orig);
            double numeric = (plus - minus) / 2e-6;
            double a = analytic.getDouble(i);
            double err = Math.abs(a - numeric) / Math.max(1e-6, Math.abs(a) + Math.abs(numeric));
            assertTrue(err < 1e-5, "param " + i + ": analytic " + a + " vs numeric " + numeric);
        }
    }

    @Test
    void fanOutSumsGradients() {
        SplittableRandom rng = new SplittableRandom(3);
        Graph g = Graph.builder(4)
                .add("a", new Linear("a", 4, 3, true, rng))
                .add("b", new Linear("b", 3, 3, true, rng), "a")
                .add("c", new Linear("c", 3, 3, false, rng), "a")
                .add("sum", new Add(), "b", "c")
                .add("twice", new Add(), "sum", "sum")
                .build();
        checkGraph(g, Init.uniform(new SplittableRandom(4), -1, 1, 5, 4), 5);
    }

    /**
     * backwardPassed(i) turns true for node i only once backward has finished it: before the pass
     * nothing has, in the middle node's own backward (seen from its weight transform, which that
     * backward calls) the node after it has and it has not, after the pass every node has (a
     * thread summing gradients relies on this, see BatchStep).
     */
    @Test
    void backwardPassedFollowsThePassNodeByNode() {
        SplittableRandom rng = new SplittableRandom(5);
        Linear middle = new Linear("b", 3, 3, true, rng);
        Graph g = Graph.builder(4)
                .add("a", new Linear("a", 4, 3, true, rng))
                .add("b", middle, "a")
                .add("c", new Linear("c", 3, 2, true, rng), "b")
                .build();
        boolean[][] seen = new boolean[1][];
        middle.setWeightTransform(new WeightTransform() {
            @Override
            public INDArray forward(INDArray v) {
                return v;
            }

            @Override
            public void backward(INDArray gradW, INDArray gradV) {
                seen[0] = new boolean[] {g.backwardPassed(0), g.backwardPassed(1), g.backwardPassed(2)};
                gradV.assign(gradW);
            }

            @Override
            public java.util.List<Param> params() {
                return java.util.List.of();
            }
        });
        g.compile();
        g.forward(Init.uniform(new SplittableRandom(6), -1, 1, 3, 4), true);
        g.expectBackward();
        for (int i = 0; i < 3; i++) {
            assertFalse(g.backwardPassed(i), "node " + i + " before the pass");
        }
        g.backward(Init.uniform(new SplittableRandom(7), -1, 1, 3, 2));
        assertArrayEquals(new boolean[] {false, false, true}, seen[0], "during the middle node's backward");
        for (int i = 0; i < 3; i++) {
            assertTrue(g.backwardPassed(i), "node " + i + " after the pass");
        }
    }

    @Test
    void resnetTemplateEndToEnd() {
        Graph g = ModelTemplates.create("resnet", 7);
        assertEquals(10, g.shapes(2).get("fc")[1]);
        checkGraph(g, Init.uniform(new SplittableRandom(8), 0, 1, 2, 1, 28, 28), 9);
    }

    @Test
    void lenetTemplateEndToEnd() {
        Graph g = ModelTemplates.create("lenet", 1);
        assertEquals(61_706, g.parameterCount()); // as PyTorch's LeNet-5 of the same shape
        checkGraph(g, Init.uniform(new SplittableRandom(2), 0, 1, 3, 1, 28, 28), 3);
    }

    /**
     * conv → relu [→ unsigned quantizer] → maxpool → fc; with {@code foldable} the graph runs the
     * ReLU (or the quantizer, absorbing the ReLU) after the pool, without it an Identity before the
     * pool keeps everything in place. {@code quantizer} may be null.
     */
    private static Graph convReluPool(boolean foldable, long seed,
                                      org.a2q.engine.quant.ActivationQuantizer quantizer) {
        SplittableRandom rng = new SplittableRandom(seed);
        Graph.Builder b = Graph.builder(2, 8, 8)
                .add("conv", new Conv2d("conv", 2, 3, 3, 3, 1, 1, 1, 1, true, rng))
                .add("relu", new ReLU());
        if (quantizer != null) {
            b.add("q", quantizer);
        }
        if (!foldable) {
            b.add("keep", new Identity());     // the pool's input is no longer a foldable layer
        }
        return b.add("pool", new Pool2d(Pool2d.Kind.MAX, 2, 2, 2, 2, 0, 0, false))
                .add("flatten", Reshape.flatten())
                .add("fc", new Linear("fc", 48, 4, true, rng))
                .build();
    }

    @Test
    void reluRunAfterMaxPoolGivesTheSameValuesAndGradients() {
        Graph swapped = convReluPool(true, 5, null);
        Graph plain = convReluPool(false, 5, null);
        INDArray x = Init.uniform(new SplittableRandom(6), -1, 1, 3, 2, 8, 8);
        INDArray r = Init.uniform(new SplittableRandom(7), -1, 1, 3, 4);
        INDArray ys = swapped.forward(x, true).dup();
        INDArray yp = plain.forward(x, true).dup();
        assertEquals(0.0, ys.sub(yp).amaxNumber().doubleValue(), 0.0);
        // The ReLU node still reads as the ReLU's value (it holds the pre-activation internally).
        INDArray relu = swapped.activation("relu");
        assertEquals(0.0, relu.minNumber().doubleValue(), 0.0);
        assertEquals(0.0, relu.sub(plain.activation("relu")).amaxNumber().doubleValue(), 0.0);
        assertTrue(swapped.activation("conv").minNumber().doubleValue() < 0, "conv output keeps its negatives");
        // The 2-input-channel conv feeds only a pool: its output stayed channel-major inside the
        // graph (ColumnConv), while the same layer run on its own hands out dense NCHW.
        assertTrue(!Buffers.isDense(swapped.activation("conv")) && Buffers.isDense(swapped.activation("conv").permute(1, 0, 2, 3)));
        assertTrue(Buffers.isDense(plain.activation("conv")), "a conv whose reader is not a pool is dense");
        Layer conv = swapped.node("conv").layer();
        assertTrue(Buffers.isDense(conv.forward(new INDArray[] {x}, false)));
        swapped.forward(x, true);
        swapped.backward(r);
        plain.backward(r);
        assertEquals(0.0, swapped.gradArena().sub(plain.gradArena()).amaxNumber().doubleValue(), 0.0);
        assertTrue(swapped.gradArena().amaxNumber().doubleValue() > 0);
        checkGraph(swapped, x, 8);
    }

    /** conv (no bias) → relu → unsigned learned quantizer, where the quantizer absorbs the ReLU. */
    private static Graph convReluQuant(boolean foldable) {
        SplittableRandom rng = new SplittableRandom(9);
        org.a2q.engine.quant.ActivationQuantizer q = org.a2q.engine.quant.ActivationQuantizer.learned("q", 3, false);
        q.setScale(0.05);
        Graph.Builder b = Graph.builder(1, 6, 6)
                .add("conv", new Conv2d("conv", 1, 2, 3, 3, 1, 1, 1, 1, false, rng))
                .add("relu", new ReLU());
        if (!foldable) {
            b.add("keep", new Identity());
        }
        return b.add("q", q).add("flatten", Reshape.flatten()).add("fc", new Linear("fc", 72, 3, true, rng)).build();
    }

    @Test
    void quantizerAbsorbingTheReluGivesTheSameValuesAndGradients() {
        Graph folded = convReluQuant(true);
        Graph plain = convReluQuant(false);
        // Zero rows make conv outputs exactly 0, where ReLU's mask (x > 0) and the clamp's
        // straight-through range (0 ≤ t) differ: the folded backward must still block them.
        INDArray x = Init.uniform(new SplittableRandom(10), -1, 1, 4, 1, 6, 6);
        x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 3), org.nd4j.linalg.indexing.NDArrayIndex.all()).assign(0);
        INDArray r = Init.uniform(new SplittableRandom(11), -1, 1, 4, 3);
        INDArray yf = folded.forward(x, true).dup();
        INDArray yp = plain.forward(x, true).dup();
        assertEquals(0.0, yf.sub(yp).amaxNumber().doubleValue(), 0.0);
        assertTrue(folded.activation("conv").eq(0.0).castTo(DataType.INT).sumNumber().intValue() > 0);
        assertEquals(0.0, folded.activation("relu").sub(plain.activation("relu")).amaxNumber().doubleValue(), 0.0);
        folded.backward(r);
        plain.backward(r);
        assertEquals(0.0, folded.gradArena().sub(plain.gradArena()).amaxNumber().doubleValue(), 1e-15);
        assertTrue(Math.abs(folded.params().get(1).grad().getDouble(0)) > 0, "the quantizer's scale gets a gradient");
    }

    /** conv → relu → unsigned quantizer → maxpool; with {@code movable} the graph runs the quantizer after the pool. */
    private static Graph convReluQuantPool(boolean movable, int bits, double scale) {
        org.a2q.engine.quant.ActivationQuantizer q = org.a2q.engine.quant.ActivationQuantizer.learned("q", bits, false);
        q.setScale(scale);
        return convReluPool(movable, 12, q);
    }

    @Test
    void quantizerRunAfterMaxPoolGivesTheSameValuesAndGradientsWithoutTies() {
        // 16 bits on a fine grid: no two values of a window share a code, so both orders route
        // dY to the same element and every gradient agrees (the scale's up to summation order).
        Graph moved = convReluQuantPool(true, 16, 1e-4);
        Graph plain = convReluQuantPool(false, 16, 1e-4);
        INDArray x = Init.uniform(new SplittableRandom(13), -1, 1, 3, 2, 8, 8);
        INDArray r = Init.uniform(new SplittableRandom(14), -1, 1, 3, 4);
        INDArray ym = moved.forward(x, true).dup();
        INDArray yp = plain.forward(x, true).dup();
        assertEquals(0.0, ym.sub(yp).amaxNumber().doubleValue(), 0.0);
        // The quantizer node still reads as its own value, and the conv fed the pool channel-major.
        assertEquals(0.0, moved.activation("q").sub(plain.activation("q")).amaxNumber().doubleValue(), 0.0);
        assertEquals(0.0, moved.activation("relu").sub(plain.activation("relu")).amaxNumber().doubleValue(), 0.0);
        assertTrue(!Buffers.isDense(moved.activation("conv")), "conv output stays channel-major for the pool");
        moved.backward(r);
        plain.backward(r);
        INDArray gm = moved.gradArena();
        INDArray gp = plain.gradArena();
        assertTrue(gp.amaxNumber().doubleValue() > 0);
        assertEquals(0.0, gm.sub(gp).amaxNumber().doubleValue(), 1e-12 * gp.amaxNumber().doubleValue());
        double scaleGrad = moved.params().stream().filter(p -> p.name().equals("q.scale")).findFirst().orElseThrow()
                .grad().getDouble(0);
        assertTrue(Math.abs(scaleGrad) > 0, "the quantizer's scale gets a gradient");
    }

    @Test
    void quantizerRunAfterMaxPoolKeepsTheForwardExactWithTies() {
        // 3 bits: many values of a window round to the same code. The forward is still exact
        // (q(max x) = max q(x)); the backward then routes dY to the largest raw value.
        Graph moved = convReluQuantPool(true, 3, 0.05);
        Graph plain = convReluQuantPool(false, 3, 0.05);
        INDArray x = Init.uniform(new SplittableRandom(15), -1, 1, 3, 2, 8, 8);
        assertEquals(0.0, moved.forward(x, true).dup().sub(plain.forward(x, true)).amaxNumber().doubleValue(), 0.0);
        assertEquals(0.0, moved.activation("q").sub(plain.activation("q")).amaxNumber().doubleValue(), 0.0);
        INDArray pooled = moved.activation("pool");
        INDArray codes = pooled.div(0.05);
        assertEquals(0.0, codes.sub(Transforms.round(codes, true)).amaxNumber().doubleValue(), 1e-9, "pool output is on the grid");
        moved.backward(Init.uniform(new SplittableRandom(16), -1, 1, 3, 4));
        assertTrue(moved.gradArena().amaxNumber().doubleValue() > 0);
    }

    @Test
    void mlpParameterCount() {
        assertEquals(784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10, ModelTemplates.create("mlp", 0).parameterCount());
    }

    @Test
    void sameSeedSameWeights() {
        assertEquals(ModelTemplates.create("lenet", 42).valueArena(), ModelTemplates.create("lenet", 42).valueArena());
        assertTrue(!ModelTemplates.create("lenet", 42).valueArena().equals(ModelTemplates.create("lenet", 43).valueArena()));
    }

    @Test
    void wrongInputShapeIsAClearError() {
        Graph g = ModelTemplates.create("lenet", 0);
        EngineException e = assertThrows(EngineException.class, () -> g.forward(Nd4j.zeros(DataType.DOUBLE, 2, 3, 32, 32), false));
        assertEquals("model expects input [batch, 1, 28, 28] but got [2, 3, 32, 32]", e.getMessage());
    }

    @Test
    void builderRejectsForwardReferencesAndDuplicates() {
        SplittableRandom rng = new SplittableRandom(0);
        assertThrows(EngineException.class, () -> Graph.builder(4).add("x", new ReLU(), "later"));
        assertThrows(EngineException.class, () -> Graph.builder(4).add("x", new ReLU()).add("x", new ReLU()));
        EngineException e = assertThrows(EngineException.class,
                () -> Graph.builder(4).add("fc", new Linear("fc", 5, 2, true, rng)).build());
        assertTrue(e.getMessage().startsWith("node 'fc': linear expects input [batch, 5]"), e.getMessage());
    }

    @Test
    void specRebuildsTheSameArchitecture() {
        Graph g = ModelTemplates.create("resnet", 0);
        GraphSpec spec = GraphSpec.of(g);
        Graph h = spec.build(0);
        assertEquals(spec, GraphSpec.of(h));
        assertEquals(g.parameterCount(), h.parameterCount());
    }
}
