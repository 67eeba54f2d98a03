package org.a2q.app.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextsTest {
    @Test
    void everyLessonHasATitleAndText() {
        List<Texts.Page> lessons = Texts.lessons();
        assertEquals(Texts.LESSONS.size(), lessons.size());
        for (Texts.Page p : lessons) {
            assertNotEquals(p.id(), p.title(), p.id() + " lacks a '# ' title line");
            assertTrue(p.paragraphs().size() >= 2, p.id());
        }
    }

    @Test
    void everyQuantizationViewHasHelp() {
        for (String id : List.of("bit-widths", "budgets", "error", "mac-array", "trade-offs")) {
            Texts.Page p = Texts.help(id);
            assertFalse(p.paragraphs().isEmpty(), id);
        }
    }

    @Test
    void helpDescribesTheViewsAsBuiltNotAsPlanned() {
        for (String id : List.of("bit-widths", "budgets", "error", "mac-array", "trade-offs")) {
            for (String para : Texts.help(id).paragraphs()) {
                String p = " " + para.toLowerCase(java.util.Locale.ROOT) + " ";
                for (String future : List.of(" will ", " being added", " arrives", " not available yet", " soon")) {
                    assertFalse(p.contains(future), id + " speaks of a future view (\"" + future.strip() + "\"): " + para);
                }
            }
        }
    }

    @Test
    void parserJoinsLinesAndKeepsListItems() {
        Texts.Page p = Texts.parse("x", "# Title\n\nfirst line\nsecond line\n\n- item one\n- item two\nmore\n");
        assertEquals("Title", p.title());
        assertEquals(List.of("first line second line", "- item one", "- item two more"), p.paragraphs());
    }
}
