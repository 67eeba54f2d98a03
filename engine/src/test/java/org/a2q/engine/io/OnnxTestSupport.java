package org.a2q.engine.io;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.util.Map;
import org.a2q.engine.TestData;
import org.a2q.engine.data.Batch;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.data.ImageDataset;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Shared pieces of the ONNX tests: fixtures, real images, and onnxruntime as the independent reference. */
final class OnnxTestSupport {
    private OnnxTestSupport() { }

    static byte[] fixture(String name) {
        try (InputStream in = OnnxTestSupport.class.getResourceAsStream("/onnx/" + name)) {
            if (in == null) {
                throw new IllegalStateException("test fixture /onnx/" + name + " missing; run make_fixtures.py");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first n Fashion-MNIST test images as [n, 1, 28, 28] in [0, 1], a copy the caller owns. */
    static INDArray images(int n) {
        ImageDataset test = TestData.sample().test();
        Batcher b = new Batcher(test, n, DataType.FLOAT);
        Batch batch = b.inOrder().iterator().next();
        return batch.features().dup();
    }

    /** Runs a model in onnxruntime on x ([n, ...] float) and returns its first output as [n][k]. */
    static float[][] ort(byte[] model, INDArray x) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(model, o);
                 OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.dup('c').data().asFloat()), x.shape());
                 OrtSession.Result r = s.run(Map.of(s.getInputNames().iterator().next(), t))) {
                return (float[][]) r.get(0).getValue();
            }
        }
    }

    static float[][] rows(INDArray logits) {
        return logits.castTo(DataType.FLOAT).toFloatMatrix();
    }

    static double maxAbsDiff(float[][] a, float[][] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return m;
    }

    static int[] argmax(float[][] a) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 1; j < a[i].length; j++) {
                if (a[i][j] > a[i][out[i]]) {
                    out[i] = j;
                }
            }
        }
        return out;
    }

    static float[][] softmax(float[][] logits) {
        float[][] p = new float[logits.length][];
        for (int i = 0; i < logits.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (float v : logits[i]) {
                max = Math.max(max, v);
            }
            double sum = 0;
            p[i] = new float[logits[i].length];
            for (int j = 0; j < p[i].length; j++) {
                sum += Math.exp(logits[i][j] - max);
            }
            for (int j = 0; j < p[i].length; j++) {
                p[i][j] = (float) (Math.exp(logits[i][j] - max) / sum);
            }
        }
        return p;
    }
}
