package io.myriad.core.journal;

/** The in-memory test journal keeps the same contract as the real adapters. */
class InMemoryJournalTest extends JournalContract {
    @Override
    protected Journal newJournal() {
        return new InMemoryJournal();
    }
}
