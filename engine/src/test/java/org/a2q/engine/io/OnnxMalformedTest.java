package org.a2q.engine.io;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import onnx.Onnx;
import org.a2q.engine.EngineException;
import org.a2q.engine.io.onnx.OnnxImporter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken or unsupported files fail with one clear EngineException, never an OutOfMemoryError or a stack of internals. */
class OnnxMalformedTest {
    @TempDir Path dir;

    static Onnx.ModelProto resnet() throws Exception {
        return Onnx.ModelProto.parseFrom(OnnxTestSupport.fixture("resnet.onnx"));
    }

    static EngineException rejects(byte[] bytes) {
        return assertThrows(EngineException.class, () -> OnnxImporter.read("bad.onnx", bytes));
    }

    static byte[] edit(Onnx.ModelProto m, UnaryOperator<Onnx.GraphProto.Builder> f) {
        return m.toBuilder().setGraph(f.apply(m.getGraph().toBuilder())).build().toByteArray();
    }

    static int initializer(Onnx.GraphProto.Builder g, String name) {
        for (int i = 0; i < g.getInitializerCount(); i++) {
            if (g.getInitializer(i).getName().equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no initializer " + name);
    }

    @Test
    void truncatedFilesAreRejected() {
        byte[] full = OnnxTestSupport.fixture("resnet.onnx");
        for (int len : new int[] {0, 1, 7, 100, full.length / 2, full.length - 1}) {
            byte[] cut = java.util.Arrays.copyOf(full, len);
            EngineException e = rejects(cut);
            assertTrue(e.getMessage().startsWith("bad.onnx: "), e.getMessage());
        }
    }

    @Test
    void bitFlipsInTheHeaderNeverEscapeAsAnythingButEngineException() {
        byte[] full = OnnxTestSupport.fixture("lenet.onnx");
        int rejected = 0;
        for (int pos = 0; pos < 64; pos++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] b = full.clone();
                b[pos] ^= (byte) (1 << bit);
                try {
                    assertNotNull(OnnxImporter.read("flip.onnx", b).graph()); // a flip in a name can be harmless
                } catch (EngineException e) {
                    rejected++;
                    assertTrue(e.getMessage().startsWith("flip.onnx: "), e.getMessage());
                }
            }
        }
        System.out.println("header bit flips: " + rejected + " of 512 rejected, the rest still valid models");
        assertTrue(rejected > 0);
        // The first byte is the tag of field 1 (ir_version, varint); wire type 7 does not exist.
        byte[] b = full.clone();
        b[0] |= 0x07;
        assertTrue(rejects(b).getMessage().contains("not a valid ONNX file"));
    }

    @Test
    void hugeDeclaredDimsAreRejectedBeforeAllocating() throws Exception {
        byte[] bytes = edit(resnet(), g -> {
            int i = initializer(g, "fc.weight");
            return g.setInitializer(i, g.getInitializer(i).toBuilder().clearDims().addDims(100_000).addDims(100_000));
        });
        EngineException e = rejects(bytes);
        assertTrue(e.getMessage().contains("fc.weight") && e.getMessage().contains("100000"), e.getMessage());

        byte[] mismatch = edit(resnet(), g -> {
            int i = initializer(g, "fc.weight");
            return g.setInitializer(i, g.getInitializer(i).toBuilder().clearDims().addDims(10).addDims(9));
        });
        EngineException m = rejects(mismatch);
        assertTrue(m.getMessage().contains("360 bytes") && m.getMessage().contains("holds 320 bytes"), m.getMessage());
    }

    @Test
    void unsupportedOpNamesTheNodeTheOpAndWhatIsSupported() throws Exception {
        byte[] bytes = edit(resnet(), g -> g.setNode(2, g.getNode(2).toBuilder().setOpType("Selu")));
        EngineException e = rejects(bytes);
        assertTrue(e.getMessage().contains("node '" + resnet().getGraph().getNode(2).getName() + "' (Selu)"), e.getMessage());
        assertTrue(e.getMessage().contains("supported ops are Conv, Gemm"), e.getMessage());
    }

    @Test
    void asymmetricPadsExternalDataDynamicShapeAndOpsetAreExplained() throws Exception {
        Onnx.ModelProto m = resnet();
        byte[] asym = edit(m, g -> {
            Onnx.NodeProto.Builder conv = g.getNode(0).toBuilder();
            for (int i = 0; i < conv.getAttributeCount(); i++) {
                if (conv.getAttribute(i).getName().equals("pads")) {
                    conv.setAttribute(i, conv.getAttribute(i).toBuilder().clearInts().addInts(0).addInts(0).addInts(1).addInts(1));
                }
            }
            return g.setNode(0, conv);
        });
        assertTrue(rejects(asym).getMessage().contains("asymmetric pads [0, 0, 1, 1]"));

        byte[] external = edit(m, g -> {
            int i = initializer(g, "stem.weight");
            return g.setInitializer(i, g.getInitializer(i).toBuilder().clearRawData()
                    .setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(Onnx.StringStringEntryProto.newBuilder().setKey("location").setValue("w.bin")));
        });
        assertTrue(rejects(external).getMessage().contains("external file"));

        byte[] dynamic = edit(m, g -> {
            Onnx.ValueInfoProto.Builder in = g.getInput(0).toBuilder();
            in.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(2).clearDimValue().setDimParam("height");
            return g.setInput(0, in);
        });
        assertTrue(rejects(dynamic).getMessage().contains("dynamic dimension 2 ('height')"));

        byte[] opset = m.toBuilder().setOpsetImport(0, m.getOpsetImport(0).toBuilder().setVersion(7)).build().toByteArray();
        assertTrue(rejects(opset).getMessage().contains("opset 7; supported are opsets 9–17"));

        byte[] dynReshape = edit(m, g -> {
            for (int i = 0; i < g.getNodeCount(); i++) {
                if (g.getNode(i).getOpType().equals("Constant")) {
                    return g.removeNode(i);
                }
            }
            throw new AssertionError();
        });
        assertTrue(rejects(dynReshape).getMessage().contains("(Reshape)"));
    }

    @Test
    void filesOverOneGibAreRejectedUpFront() throws Exception {
        Path f = dir.resolve("big.onnx");
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.setLength(OnnxImporter.MAX_FILE_BYTES + 1); // sparse: costs no disk
        }
        EngineException e = assertThrows(EngineException.class, () -> OnnxImporter.read(f));
        assertTrue(e.getMessage().contains("more than the 1 GiB"), e.getMessage());
        Files.delete(f);
    }
}
