package io.myriad.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Java types as JSON: the schema of a type, and a JSON value converted into it.
 *
 * <p>Supported: strings, booleans, integral and decimal numbers (primitive, boxed, big), enums
 * (by constant name), lists, sets and arrays, maps with string keys, {@link Optional}, records
 * (recursively, not cyclic) and {@link JsonNode} (any value). Records become objects that
 * accept no other properties; a component is required unless it is {@link Optional} or
 * annotated with an annotation named {@code Nullable}.
 */
final class JavaTypes {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JavaTypes() {}

    /** The JSON schema of {@code type}; {@code where} names it in errors. */
    static ObjectNode schema(Type type, String where) {
        return schema(type, where, new HashSet<>());
    }

    private static ObjectNode schema(Type type, String where, Set<Class<?>> open) {
        Class<?> raw = raw(type, where);
        ObjectNode s = NODES.objectNode();
        if (raw == String.class || raw == CharSequence.class || raw == char.class || raw == Character.class) {
            return s.put("type", "string");
        }
        if (raw == boolean.class || raw == Boolean.class) {
            return s.put("type", "boolean");
        }
        if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class || raw == short.class
                || raw == Short.class || raw == byte.class || raw == Byte.class || raw == BigInteger.class) {
            return s.put("type", "integer");
        }
        if (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class
                || raw == BigDecimal.class) {
            return s.put("type", "number");
        }
        if (raw.isEnum()) {
            ArrayNode values = s.put("type", "string").putArray("enum");
            Arrays.stream(raw.getEnumConstants()).forEach(c -> values.add(((Enum<?>) c).name()));
            return s;
        }
        if (JsonNode.class.isAssignableFrom(raw)) {
            return s;
        }
        if (raw == Optional.class) {
            return schema(typeArgument(type, 0, where), where, open);
        }
        if (raw.isArray() || type instanceof GenericArrayType) {
            Type item = type instanceof GenericArrayType g ? g.getGenericComponentType() : raw.getComponentType();
            s.put("type", "array").set("items", schema(item, where + "[]", open));
            return s;
        }
        if (raw == List.class || raw == Collection.class || raw == Set.class) {
            s.put("type", "array").set("items", schema(typeArgument(type, 0, where), where + "[]", open));
            if (raw == Set.class) {
                s.put("uniqueItems", true);
            }
            return s;
        }
        if (raw == Map.class) {
            if (raw(typeArgument(type, 0, where), where) != String.class) {
                throw unsupported(type, where, "map keys must be strings");
            }
            s.put("type", "object").set("additionalProperties", schema(typeArgument(type, 1, where), where + "{}", open));
            return s;
        }
        if (raw.isRecord()) {
            if (!open.add(raw)) {
                throw unsupported(type, where, "records may not contain themselves");
            }
            s.put("type", "object");
            ObjectNode properties = s.putObject("properties");
            ArrayNode required = NODES.arrayNode();
            for (RecordComponent c : raw.getRecordComponents()) {
                String name = name(c, c.getName());
                ObjectNode p = schema(c.getGenericType(), where + "." + name, open);
                describe(p, c);
                properties.set(name, p);
                if (isRequired(c.getType(), c)) {
                    required.add(name);
                }
            }
            s.set("required", required);
            s.put("additionalProperties", false);
            open.remove(raw);
            return s;
        }
        throw unsupported(type, where, "use a string, boolean, number, enum, list, array, map with string keys,"
                + " Optional, record or JsonNode");
    }

    /** Adds the {@link Param} description of {@code element}, when it has one, to its schema. */
    static void describe(ObjectNode schema, AnnotatedElement element) {
        Param p = element.getAnnotation(Param.class);
        if (p != null && !p.description().isBlank()) {
            schema.put("description", p.description());
        }
    }

    /** The argument name of {@code element}: its {@link Param#name()} or {@code javaName}. */
    static String name(AnnotatedElement element, String javaName) {
        Param p = element.getAnnotation(Param.class);
        return p != null && !p.name().isBlank() ? p.name() : javaName;
    }

    /** False for {@link Optional} and for an element annotated with any annotation named {@code Nullable}. */
    static boolean isRequired(Class<?> type, AnnotatedElement element) {
        if (type == Optional.class) {
            return false;
        }
        return type.isPrimitive() || Arrays.stream(element.getAnnotations())
                .noneMatch(a -> a.annotationType().getSimpleName().equals("Nullable"));
    }

    /**
     * {@code value} (already valid against {@link #schema}) as an instance of {@code type};
     * a missing or null value is empty for {@link Optional}, else null.
     */
    static Object convert(JsonNode value, Type type) {
        Class<?> raw = raw(type, "value");
        boolean absent = value == null || value.isNull() || value.isMissingNode();
        if (raw == Optional.class) {
            return absent ? Optional.empty() : Optional.ofNullable(convert(value, typeArgument(type, 0, "value")));
        }
        if (JsonNode.class.isAssignableFrom(raw)) {
            return value;
        }
        if (absent) {
            if (raw.isPrimitive()) {
                throw new IllegalArgumentException("a value is required");
            }
            return null;
        }
        if (raw.isArray() || type instanceof GenericArrayType) {
            Type item = type instanceof GenericArrayType g ? g.getGenericComponentType() : raw.getComponentType();
            Object array = Array.newInstance(raw(item, "value"), value.size());
            for (int i = 0; i < value.size(); i++) {
                Array.set(array, i, convert(value.get(i), item));
            }
            return array;
        }
        if (raw == List.class || raw == Collection.class) {
            List<Object> list = new ArrayList<>();
            value.forEach(v -> list.add(convert(v, typeArgument(type, 0, "value"))));
            return Collections.unmodifiableList(list);
        }
        if (raw == Set.class) {
            Set<Object> set = new LinkedHashSet<>();
            value.forEach(v -> set.add(convert(v, typeArgument(type, 0, "value"))));
            return Collections.unmodifiableSet(set);
        }
        if (raw == Map.class) {
            Map<String, Object> map = new LinkedHashMap<>();
            value.properties().forEach(e -> map.put(e.getKey(), convert(e.getValue(), typeArgument(type, 1, "value"))));
            return Collections.unmodifiableMap(map);
        }
        if (raw.isRecord()) {
            RecordComponent[] components = raw.getRecordComponents();
            Object[] values = new Object[components.length];
            Class<?>[] types = new Class<?>[components.length];
            for (int i = 0; i < components.length; i++) {
                RecordComponent c = components[i];
                types[i] = c.getType();
                values[i] = convert(value.get(name(c, c.getName())), c.getGenericType());
            }
            try {
                Constructor<?> canonical = raw.getDeclaredConstructor(types);
                canonical.trySetAccessible();
                return canonical.newInstance(values);
            } catch (InvocationTargetException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalArgumentException(e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot construct " + raw.getName() + ": " + e.getMessage(), e);
            }
        }
        return JSON.convertValue(value, JSON.constructType(type));
    }

    private static Class<?> raw(Type type, String where) {
        return switch (type) {
            case Class<?> c -> c;
            case ParameterizedType p -> (Class<?>) p.getRawType();
            case GenericArrayType g -> Array.newInstance(raw(g.getGenericComponentType(), where), 0).getClass();
            case WildcardType w when w.getUpperBounds().length == 1 -> raw(w.getUpperBounds()[0], where);
            default -> throw unsupported(type, where, "use concrete types, not type variables");
        };
    }

    private static Type typeArgument(Type type, int index, String where) {
        if (type instanceof ParameterizedType p) {
            Type arg = p.getActualTypeArguments()[index];
            return arg instanceof WildcardType w && w.getUpperBounds().length == 1 ? w.getUpperBounds()[0] : arg;
        }
        throw unsupported(type, where, "give its type arguments");
    }

    private static IllegalArgumentException unsupported(Type type, String where, String hint) {
        return new IllegalArgumentException("unsupported type " + type.getTypeName() + " at " + where + ": " + hint);
    }
}
