package io.myriad.tools;

import io.myriad.core.tool.Effect;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a public method as a tool; {@link JavaTools#from} turns it into a
 * {@link io.myriad.core.tool.Tool} whose argument schema is derived from the method's
 * parameters. A parameter of type {@link io.myriad.core.tool.ToolContext} is not an argument:
 * it receives the call's context.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface ToolMethod {

    /** The tool's name: lower-case identifiers joined by dots, such as {@code crm.lookup}. */
    String name();

    /** What the tool does, for the model. */
    String description();

    /**
     * What a call does to the world. Irreversible unless said otherwise, the safe assumption:
     * such a call is never invoked again blindly.
     */
    Effect effect() default Effect.IRREVERSIBLE;

    /**
     * How long a call may run, such as {@code "10s"}, {@code "500ms"}, {@code "2m"} or
     * {@code "PT10S"}; empty for the default of {@link io.myriad.core.tool.Tool#timeout()}.
     */
    String timeout() default "";

    /** The most characters of a result the model is shown; 0 for the default. */
    int maxOutputChars() default 0;

    /** Whether calls may run at the same time as other parallel calls of the same response. */
    boolean parallel() default false;
}
