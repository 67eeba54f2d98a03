package org.a2q.engine.model;

import java.util.List;
import java.util.SplittableRandom;
import org.a2q.engine.EngineException;
import org.a2q.engine.nn.Add;
import org.a2q.engine.nn.BatchNorm2d;
import org.a2q.engine.nn.Conv2d;
import org.a2q.engine.nn.GlobalAvgPool;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Linear;
import org.a2q.engine.nn.Pool2d;
import org.a2q.engine.nn.ReLU;
import org.a2q.engine.nn.Reshape;

/** Built-in architectures for 1×28×28 inputs and 10 classes (Fashion-MNIST and MNIST). */
public final class ModelTemplates {
    private ModelTemplates() { }

    public static final List<String> NAMES = List.of("mlp", "lenet", "resnet");

    public static Graph create(String name, long seed) {
        return create(name, seed, 1, 28, 28, 10);
    }

    public static Graph create(String name, long seed, int channels, int height, int width, int classes) {
        SplittableRandom rng = new SplittableRandom(seed);
        return switch (name) {
            case "mlp" -> mlp(rng, channels * height * width, classes, channels, height, width);
            case "lenet" -> lenet(rng, channels, height, width, classes);
            case "resnet" -> resnet(rng, channels, height, width, classes);
            default -> throw new EngineException("unknown model '" + name + "'; built-in models are " + NAMES
                    + ", or give an .onnx file");
        };
    }

    /** 784-256-128-10 with ReLU. */
    static Graph mlp(SplittableRandom rng, int in, int classes, int c, int h, int w) {
        return Graph.builder(c, h, w)
                .add("flatten", Reshape.flatten())
                .add("fc1", new Linear("fc1", in, 256, true, rng))
                .add("relu1", new ReLU())
                .add("fc2", new Linear("fc2", 256, 128, true, rng))
                .add("relu2", new ReLU())
                .add("fc3", new Linear("fc3", 128, classes, true, rng))
                .build();
    }

    /** LeNet-5: conv5×5 1→6 pad 2, ReLU, maxpool 2; conv5×5 6→16, ReLU, maxpool 2; fc 400-120-84-10. */
    static Graph lenet(SplittableRandom rng, int c, int h, int w, int classes) {
        int h2 = ((h / 2) - 4) / 2;
        int w2 = ((w / 2) - 4) / 2;
        if (h2 < 1 || w2 < 1) {
            throw new EngineException("lenet needs inputs of at least 12x12, got " + h + "x" + w);
        }
        return Graph.builder(c, h, w)
                .add("conv1", new Conv2d("conv1", c, 6, 5, 5, 1, 1, 2, 2, true, rng))
                .add("relu1", new ReLU())
                .add("pool1", new Pool2d(Pool2d.Kind.MAX, 2, 2, 2, 2, 0, 0, false))
                .add("conv2", new Conv2d("conv2", 6, 16, 5, 5, 1, 1, 0, 0, true, rng))
                .add("relu2", new ReLU())
                .add("pool2", new Pool2d(Pool2d.Kind.MAX, 2, 2, 2, 2, 0, 0, false))
                .add("flatten", Reshape.flatten())
                .add("fc1", new Linear("fc1", 16 * h2 * w2, 120, true, rng))
                .add("relu3", new ReLU())
                .add("fc2", new Linear("fc2", 120, 84, true, rng))
                .add("relu4", new ReLU())
                .add("fc3", new Linear("fc3", 84, classes, true, rng))
                .build();
    }

    /**
     * A small ResNet: stem conv3×3 1→16 stride 2 + BN + ReLU; basic blocks 16→16, 16→32 /2,
     * 32→64 /2 (1×1 conv + BN shortcut where the shape changes); global average pool; fc 64→10.
     */
    static Graph resnet(SplittableRandom rng, int c, int h, int w, int classes) {
        Graph.Builder b = Graph.builder(c, h, w);
        b.add("stem.conv", new Conv2d("stem.conv", c, 16, 3, 3, 2, 2, 1, 1, false, rng))
         .add("stem.bn", new BatchNorm2d("stem.bn", 16, 1e-5, 0.1))
         .add("stem.relu", new ReLU());
        String x = basicBlock(b, rng, "block1", "stem.relu", 16, 16, 1);
        x = basicBlock(b, rng, "block2", x, 16, 32, 2);
        x = basicBlock(b, rng, "block3", x, 32, 64, 2);
        b.add("gap", new GlobalAvgPool(), x)
         .add("flatten", Reshape.flatten())
         .add("fc", new Linear("fc", 64, classes, true, rng));
        return b.build();
    }

    private static String basicBlock(Graph.Builder b, SplittableRandom rng, String p, String in, int cin, int cout, int stride) {
        b.add(p + ".conv1", new Conv2d(p + ".conv1", cin, cout, 3, 3, stride, stride, 1, 1, false, rng), in)
         .add(p + ".bn1", new BatchNorm2d(p + ".bn1", cout, 1e-5, 0.1))
         .add(p + ".relu1", new ReLU())
         .add(p + ".conv2", new Conv2d(p + ".conv2", cout, cout, 3, 3, 1, 1, 1, 1, false, rng))
         .add(p + ".bn2", new BatchNorm2d(p + ".bn2", cout, 1e-5, 0.1));
        String shortcut = in;
        if (stride != 1 || cin != cout) {
            b.add(p + ".down.conv", new Conv2d(p + ".down.conv", cin, cout, 1, 1, stride, stride, 0, 0, false, rng), in)
             .add(p + ".down.bn", new BatchNorm2d(p + ".down.bn", cout, 1e-5, 0.1));
            shortcut = p + ".down.bn";
        }
        b.add(p + ".add", new Add(), p + ".bn2", shortcut)
         .add(p + ".relu2", new ReLU());
        return p + ".relu2";
    }
}
