package io.myriad.core;

/**
 * The root of every exception Myriad throws. Unchecked; says whether trying again can help.
 *
 * <p>A message tells the user what happened and what to do next.
 */
public class MyriadException extends RuntimeException {
    private final boolean retriable;

    public MyriadException(String message, boolean retriable) {
        super(message);
        this.retriable = retriable;
    }

    public MyriadException(String message, boolean retriable, Throwable cause) {
        super(message, cause);
        this.retriable = retriable;
    }

    /** True when the same operation may succeed if attempted again later. */
    public boolean retriable() {
        return retriable;
    }
}
