package io.myriad.tools;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolResult;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.time.Duration;
import java.util.Optional;

/** A {@link ToolMethod} as a {@link Tool}; see {@link JavaTools}. */
final class MethodTool implements Tool {
    /** Writes results; an {@link Optional} inside one is written as its value or null. */
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new SimpleModule()
            .addSerializer(new StdSerializer<Optional<?>>(Optional.class, false) {
                @Override
                public void serialize(Optional<?> value, JsonGenerator gen, SerializerProvider provider)
                        throws IOException {
                    provider.defaultSerializeValue(value.orElse(null), gen);
                }
            }));

    private final Object target;
    private final Method method;
    private final ToolMethod spec;
    private final Duration timeout;
    private final ToolDefinition definition;
    /** The argument name of each parameter; null for a {@link ToolContext} parameter. */
    private final String[] argumentNames;

    private MethodTool(Object target, Method method, ToolMethod spec, Duration timeout, ToolDefinition definition,
            String[] argumentNames) {
        this.target = target;
        this.method = method;
        this.spec = spec;
        this.timeout = timeout;
        this.definition = definition;
        this.argumentNames = argumentNames;
    }

    static MethodTool of(Object target, Method method, ToolMethod spec, Duration timeout) {
        String where = "@ToolMethod " + method.getDeclaringClass().getSimpleName() + "." + method.getName();
        ObjectNode schema = JsonNodeFactory.instance.objectNode().put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        ArrayNode required = JsonNodeFactory.instance.arrayNode();
        Parameter[] parameters = method.getParameters();
        String[] names = new String[parameters.length];
        for (int i = 0; i < parameters.length; i++) {
            Parameter p = parameters[i];
            if (p.getType() == ToolContext.class) {
                continue;
            }
            Param param = p.getAnnotation(Param.class);
            if ((param == null || param.name().isBlank()) && !p.isNamePresent()) {
                throw new IllegalArgumentException(where + ": parameter names were not compiled in; compile with"
                        + " -parameters or name each parameter with @Param(name = ...)");
            }
            String name = JavaTypes.name(p, p.getName());
            if (properties.has(name)) {
                throw new IllegalArgumentException(where + ": two parameters are named " + name);
            }
            ObjectNode s;
            try {
                s = JavaTypes.schema(p.getParameterizedType(), name);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
            JavaTypes.describe(s, p);
            properties.set(name, s);
            if (JavaTypes.isRequired(p.getType(), p)) {
                required.add(name);
            }
            names[i] = name;
        }
        schema.set("required", required);
        schema.put("additionalProperties", false);
        method.trySetAccessible();
        return new MethodTool(target, method, spec, timeout, new ToolDefinition(spec.name(), spec.description(), schema),
                names);
    }

    @Override
    public ToolDefinition definition() {
        return definition;
    }

    @Override
    public Effect effect() {
        return spec.effect();
    }

    @Override
    public Duration timeout() {
        return timeout;
    }

    @Override
    public int maxOutputChars() {
        return spec.maxOutputChars() > 0 ? spec.maxOutputChars() : Tool.DEFAULT_MAX_OUTPUT_CHARS;
    }

    @Override
    public boolean parallel() {
        return spec.parallel();
    }

    @Override
    public ToolResult invoke(JsonNode arguments, ToolContext context) {
        Parameter[] parameters = method.getParameters();
        Object[] values = new Object[parameters.length];
        for (int i = 0; i < parameters.length; i++) {
            if (argumentNames[i] == null) {
                values[i] = context;
                continue;
            }
            try {
                values[i] = JavaTypes.convert(arguments.get(argumentNames[i]), parameters[i].getParameterizedType());
            } catch (IllegalArgumentException e) {
                throw new ToolException("argument " + argumentNames[i] + ": " + e.getMessage(), e);
            }
        }
        Object out;
        try {
            out = method.invoke(target, values);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Error err) {
                throw err;
            }
            return ToolResult.error(cause.getMessage() == null || cause.getMessage().isBlank()
                    ? cause.getClass().getSimpleName() : cause.getMessage());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot call " + method + ": " + e.getMessage(), e);
        }
        return result(out);
    }

    private static ToolResult result(Object out) {
        if (out instanceof Optional<?> o) {
            if (o.isEmpty()) {
                return ToolResult.ok("null");
            }
            out = o.get();
        }
        return switch (out) {
            case null -> ToolResult.ok("done");
            case ToolResult r -> r;
            case String s -> ToolResult.ok(s);
            default -> {
                try {
                    yield ToolResult.ok(JSON.writeValueAsString(out));
                } catch (JsonProcessingException e) {
                    throw new ToolException("the result could not be written as JSON: " + e.getOriginalMessage(), e);
                }
            }
        };
    }
}
