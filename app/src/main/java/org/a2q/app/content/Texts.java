package org.a2q.app.content;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads the lesson and help texts from the shared resources folder (on the class path). The
 * format is deliberately tiny so teachers can edit it without tools: the first line starting
 * with "# " is the title, blank lines separate paragraphs, lines starting with "- " are list items.
 */
public final class Texts {
    /** A lesson or help page. Each paragraph is plain text; list items keep their "- " prefix. */
    public record Page(String id, String title, List<String> paragraphs) { }

    /** The Learn view's lessons, in teaching order. */
    public static final List<String> LESSONS = List.of("overflow", "datatype-bound", "a2q", "a2q-plus", "worst-case");

    private Texts() { }

    public static Page lesson(String id) {
        return load("learn/" + id + ".txt", id);
    }

    public static Page help(String id) {
        return load("help/" + id + ".txt", id);
    }

    public static List<Page> lessons() {
        List<Page> pages = new ArrayList<>();
        for (String id : LESSONS) {
            pages.add(lesson(id));
        }
        return pages;
    }

    static Page load(String resource, String id) {
        String text;
        try (InputStream in = Texts.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                // A missing text is a packaging bug; fail loudly in tests rather than show an empty panel.
                throw new IllegalStateException("text resource " + resource + " is missing from the build");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return parse(id, text);
    }

    static Page parse(String id, String text) {
        String title = id;
        List<String> paragraphs = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : text.split("\\R")) {
            String line = raw.strip();
            if (line.startsWith("# ") && title.equals(id) && paragraphs.isEmpty() && current.length() == 0) {
                title = line.substring(2).strip();
            } else if (line.isEmpty() || line.startsWith("- ")) {
                if (current.length() > 0) {
                    paragraphs.add(current.toString());
                    current.setLength(0);
                }
                if (!line.isEmpty()) {
                    current.append(line);
                }
            } else {
                if (current.length() > 0) {
                    current.append(' ');
                }
                current.append(line);
            }
        }
        if (current.length() > 0) {
            paragraphs.add(current.toString());
        }
        return new Page(id, title, List.copyOf(paragraphs));
    }
}
