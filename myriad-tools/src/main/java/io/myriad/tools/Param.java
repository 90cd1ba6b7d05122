package io.myriad.tools;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Describes a parameter of a {@link ToolMethod}, or a component of a record used as one. */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.PARAMETER, ElementType.RECORD_COMPONENT})
public @interface Param {

    /** What the argument means, for the model; empty for none. */
    String description() default "";

    /**
     * The argument's name in the schema; empty for the Java name (which needs the
     * {@code -parameters} compiler flag for method parameters).
     */
    String name() default "";
}
