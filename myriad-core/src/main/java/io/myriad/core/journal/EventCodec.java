package io.myriad.core.journal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.myriad.core.MyriadException;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The stored form of events: compact JSON with a {@code type} field. Unknown fields are an error
 * on read, so a journal written by a newer version is refused rather than half-understood.
 */
public final class EventCodec {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final ObjectWriter WRITER = MAPPER.writerFor(RunEvent.class);
    private static final ObjectReader READER = MAPPER.readerFor(RunEvent.class);
    private static final Map<Class<?>, String> TYPE_NAMES = Stream.of(
                    RunEvent.class.getAnnotation(com.fasterxml.jackson.annotation.JsonSubTypes.class).value())
            .collect(Collectors.toUnmodifiableMap(t -> t.value(), t -> t.name()));

    private EventCodec() {}

    public static String encode(RunEvent event) {
        try {
            return WRITER.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new MyriadException("cannot encode event " + event.getClass().getSimpleName() + ": " + e.getMessage(), false, e);
        }
    }

    public static RunEvent decode(String json) {
        try {
            return READER.readValue(json);
        } catch (JsonProcessingException e) {
            throw new MyriadException("cannot decode journal event (written by another version of Myriad?): "
                    + e.getOriginalMessage(), false, e);
        }
    }

    /** The stored type name of an event, such as {@code model_responded}. */
    public static String typeName(RunEvent event) {
        return TYPE_NAMES.get(event.getClass());
    }
}
