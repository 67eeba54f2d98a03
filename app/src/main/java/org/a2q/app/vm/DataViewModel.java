package org.a2q.app.vm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.data.ImageDataset;

/**
 * The Data view's state: which data set, and a page of images to look at. Picking a page only
 * copies a few dozen small images out of memory, so it runs on the JavaFX thread.
 */
public final class DataViewModel {
    /** Images per page: enough to see the variety of a class, few enough to stay readable. */
    public static final int PAGE_SIZE = 40;

    /** One image to show: raw 0..255 pixels in C×H×W order and its label. */
    public record ImageSample(int index, int label, String className, byte[] pixels, int channels, int height,
                              int width) { }

    /** A class and how many training and test images carry it. */
    public record ClassCount(int label, String name, int train, int test) { }

    private final SessionViewModel session;
    private final BooleanProperty showTest = new SimpleBooleanProperty(this, "showTest", false);
    /** -1 for all classes. */
    private final IntegerProperty classFilter = new SimpleIntegerProperty(this, "classFilter", -1);
    private final ObservableList<ImageSample> samples = FXCollections.observableArrayList();
    private final ObservableList<ClassCount> classCounts = FXCollections.observableArrayList();
    private final ObservableList<String> classNames = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper summary = new ReadOnlyStringWrapper(this, "summary", "");
    private final ReadOnlyStringWrapper pageText = new ReadOnlyStringWrapper(this, "pageText", "");
    private long pageSeed;

    public DataViewModel(SessionViewModel session) {
        this.session = session;
        session.dataProperty().addListener((o, a, b) -> dataChanged());
        showTest.addListener((o, a, b) -> pickPage());
        classFilter.addListener((o, a, b) -> pickPage());
        dataChanged();
    }

    public BooleanProperty showTestProperty() { return showTest; }
    public IntegerProperty classFilterProperty() { return classFilter; }
    public ObservableList<ImageSample> samples() { return samples; }
    public ObservableList<ClassCount> classCounts() { return classCounts; }
    public ObservableList<String> classNames() { return classNames; }
    public ReadOnlyStringProperty summaryProperty() { return summary.getReadOnlyProperty(); }
    /** "Showing 48 of 10,000 training images (random page)". */
    public ReadOnlyStringProperty pageTextProperty() { return pageText.getReadOnlyProperty(); }
    public ReadOnlyStringProperty sourceProperty() { return session.dataSourceProperty(); }

    public void useSample() {
        session.loadSampleData();
    }

    public void openFolder(Path dir) {
        session.loadDataFolder(dir);
    }

    /** Shows another random page; the sequence of pages is fixed, so screenshots and lessons repeat. */
    public void shuffle() {
        pageSeed++;
        pickPage();
    }

    private void dataChanged() {
        DatasetSplit d = session.data();
        pageSeed = 0;
        if (d == null) {
            samples.clear();
            classCounts.clear();
            classNames.clear();
            summary.set("");
            return;
        }
        List<String> names = session.classNames();
        classNames.setAll(names);
        int[] tr = d.train().classCounts();
        int[] te = d.test().classCounts();
        List<ClassCount> counts = new ArrayList<>();
        for (int c = 0; c < tr.length; c++) {
            counts.add(new ClassCount(c, names.get(c), tr[c], te[c]));
        }
        classCounts.setAll(counts);
        ImageDataset t = d.train();
        summary.set(String.format(Locale.ROOT, "%d×%d %s · %d classes · %,d training / %,d test images",
                t.height(), t.width(), t.channels() == 1 ? "grayscale" : t.channels() + " channels", t.numClasses(),
                t.size(), d.test().size()));
        if (classFilter.get() >= names.size()) {
            classFilter.set(-1);
        } else {
            pickPage();
        }
    }

    private void pickPage() {
        DatasetSplit d = session.data();
        if (d == null) {
            return;
        }
        ImageDataset set = showTest.get() ? d.test() : d.train();
        int filter = classFilter.get();
        List<Integer> candidates = new ArrayList<>();
        int[] labels = set.labels();
        for (int i = 0; i < labels.length; i++) {
            if (filter < 0 || labels[i] == filter) {
                candidates.add(i);
            }
        }
        // The first page is the first items, as stored; later pages are a seeded random draw.
        List<Integer> chosen = new ArrayList<>();
        if (pageSeed == 0) {
            chosen.addAll(candidates.subList(0, Math.min(PAGE_SIZE, candidates.size())));
        } else {
            SplittableRandom rng = new SplittableRandom(pageSeed);
            List<Integer> pool = new ArrayList<>(candidates);
            for (int i = 0; i < Math.min(PAGE_SIZE, pool.size()); i++) {
                int j = i + rng.nextInt(pool.size() - i);
                Integer tmp = pool.get(i);
                pool.set(i, pool.get(j));
                pool.set(j, tmp);
                chosen.add(pool.get(i));
            }
        }
        List<String> names = session.classNames();
        List<ImageSample> out = new ArrayList<>();
        for (int i : chosen) {
            int label = labels[i];
            out.add(new ImageSample(i, label, names.get(label), set.image(i), set.channels(), set.height(),
                    set.width()));
        }
        samples.setAll(out);
        String which = showTest.get() ? "test" : "training";
        String cls = filter < 0 ? "" : " of class " + names.get(filter);
        pageText.set(String.format(Locale.ROOT, "Showing %d of %,d %s images%s%s", out.size(), candidates.size(),
                which, cls, pageSeed == 0 ? " (first page)" : " (random page " + pageSeed + ")"));
    }
}
