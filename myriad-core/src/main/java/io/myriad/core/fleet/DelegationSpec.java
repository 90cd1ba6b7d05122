package io.myriad.core.fleet;

import java.util.OptionalDouble;

/**
 * How far agents of a fleet may delegate ({@code delegation:} in the fleet file).
 *
 * @param maxChildren the most children one run may start, over all its {@code delegate} calls
 * @param maxDepth    how deep delegation may nest: a top-level run is at depth 0, its children at
 *                    1; a run at depth {@code maxDepth} cannot delegate
 * @param share       the fraction of the parent's remaining token (and dollar) budget each child
 *                    gets as its ceiling; empty: the remaining budget split evenly among the call's
 *                    children
 * @param resultChars the most characters of the children's results a {@code delegate} call
 *                    returns to the model (outputs are shortened to fit, failures first)
 */
public record DelegationSpec(int maxChildren, int maxDepth, OptionalDouble share, int resultChars) {
    public static final DelegationSpec DEFAULT = new DelegationSpec(10_000, 3, OptionalDouble.empty(), 200_000);

    public DelegationSpec {
        if (maxChildren < 1 || maxDepth < 1 || resultChars < 1000) {
            throw new IllegalArgumentException("delegation: max_children and max_depth must be at least 1, result_chars at least 1000");
        }
        if (share.isPresent() && !(share.getAsDouble() > 0 && share.getAsDouble() <= 1)) {
            throw new IllegalArgumentException("delegation.share must be in (0, 1], not " + share.getAsDouble());
        }
    }
}
