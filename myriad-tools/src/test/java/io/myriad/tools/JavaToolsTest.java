package io.myriad.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.lang.annotation.Retention;
import org.junit.jupiter.api.Test;

/** Tools from annotated Java methods: derived schemas, argument conversion, results and errors. */
class JavaToolsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ToolContext CONTEXT = new ToolContext("r", "c1", "k1", Path.of("/tmp"));
    private final JsonSchemaValidator validator = JsonSchemaValidator.create();

    enum Tier { FREE, PRO }

    record Address(@Param(description = "the city") String city, Optional<String> zip) {}

    record Customer(String email, Tier tier, List<Address> addresses) {}

    @Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @interface Nullable {}

    public static final class Kinds {
        @ToolMethod(name = "k.scalars", description = "scalars", effect = Effect.READ_ONLY)
        public String scalars(String s, boolean b, int i, Long l, double d, Tier tier) {
            return s + "|" + b + "|" + i + "|" + l + "|" + d + "|" + tier;
        }

        @ToolMethod(name = "k.containers", description = "containers")
        public String containers(List<Integer> list, String[] array, Map<String, Double> map, Set<String> set) {
            return list + "|" + List.of(array) + "|" + map + "|" + set;
        }

        @ToolMethod(name = "k.optional", description = "optional and nullable")
        public String optional(@Param(description = "may be absent") Optional<String> maybe, @Nullable Integer n) {
            return maybe.orElse("none") + "|" + n;
        }

        @ToolMethod(name = "k.record", description = "a record", timeout = "10s", maxOutputChars = 100, parallel = true)
        public Customer record(@Param(name = "customer", description = "who") Customer c, ToolContext context) {
            return new Customer(c.email() + "@" + context.callId(), c.tier(), c.addresses());
        }

        @ToolMethod(name = "k.fails", description = "always fails")
        public String fails(String why) {
            throw new IllegalStateException("cannot do that: " + why);
        }
    }

    private static Tool tool(String name) {
        return JavaTools.from(new Kinds()).stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text.replace('\'', '"'));
    }

    @Test
    void scalarsAndEnums() throws Exception {
        Tool t = tool("k.scalars");
        assertThat(t.definition().parameters()).isEqualTo(json("""
                {'type':'object','properties':{
                  's':{'type':'string'},'b':{'type':'boolean'},'i':{'type':'integer'},'l':{'type':'integer'},
                  'd':{'type':'number'},'tier':{'type':'string','enum':['FREE','PRO']}},
                 'required':['s','b','i','l','d','tier'],'additionalProperties':false}"""));
        assertThat(t.effect()).isEqualTo(Effect.READ_ONLY);
        assertThat(t.timeout()).isEqualTo(Tool.DEFAULT_TIMEOUT);
        assertThat(t.parallel()).isFalse();
        JsonNode args = json("{'s':'x','b':true,'i':3,'l':40000000000,'d':1.5,'tier':'PRO'}");
        assertThat(validator.validate(t.definition().parameters(), args)).isEmpty();
        assertThat(t.invoke(args, CONTEXT)).isEqualTo(ToolResult.ok("x|true|3|40000000000|1.5|PRO"));
        assertThat(validator.validate(t.definition().parameters(),
                json("{'s':1,'b':true,'i':3,'l':4,'d':1.5,'tier':'GOLD','extra':0}")))
                .anySatisfy(p -> assertThat(p).contains("$.s: expected string"))
                .anySatisfy(p -> assertThat(p).contains("$.tier: must be one of"))
                .anySatisfy(p -> assertThat(p).contains("unexpected property 'extra'"));
    }

    @Test
    void listsArraysMapsAndSets() throws Exception {
        Tool t = tool("k.containers");
        assertThat(t.definition().parameters()).isEqualTo(json("""
                {'type':'object','properties':{
                  'list':{'type':'array','items':{'type':'integer'}},
                  'array':{'type':'array','items':{'type':'string'}},
                  'map':{'type':'object','additionalProperties':{'type':'number'}},
                  'set':{'type':'array','items':{'type':'string'},'uniqueItems':true}},
                 'required':['list','array','map','set'],'additionalProperties':false}"""));
        assertThat(t.effect()).isEqualTo(Effect.IRREVERSIBLE);
        JsonNode args = json("{'list':[1,2],'array':['a','b'],'map':{'x':0.5},'set':['s']}");
        assertThat(validator.validate(t.definition().parameters(), args)).isEmpty();
        assertThat(t.invoke(args, CONTEXT).content()).isEqualTo("[1, 2]|[a, b]|{x=0.5}|[s]");
        assertThat(validator.validate(t.definition().parameters(), json("{'list':['a'],'array':[],'map':{'x':'y'},'set':[]}")))
                .anySatisfy(p -> assertThat(p).contains("$.list[0]: expected integer"))
                .anySatisfy(p -> assertThat(p).contains("$.map.x: expected number"));
    }

    @Test
    void optionalAndNullableAreNotRequired() throws Exception {
        Tool t = tool("k.optional");
        assertThat(t.definition().parameters()).isEqualTo(json("""
                {'type':'object','properties':{'maybe':{'type':'string','description':'may be absent'},
                  'n':{'type':'integer'}},'required':[],'additionalProperties':false}"""));
        assertThat(validator.validate(t.definition().parameters(), json("{}"))).isEmpty();
        assertThat(t.invoke(json("{}"), CONTEXT).content()).isEqualTo("none|null");
        assertThat(t.invoke(json("{'maybe':'yes','n':2}"), CONTEXT).content()).isEqualTo("yes|2");
    }

    @Test
    void recordsBecomeNestedObjectsAndResultsJson() throws Exception {
        Tool t = tool("k.record");
        assertThat(t.definition().parameters()).isEqualTo(json("""
                {'type':'object','properties':{'customer':{'type':'object','properties':{
                   'email':{'type':'string'},
                   'tier':{'type':'string','enum':['FREE','PRO']},
                   'addresses':{'type':'array','items':{'type':'object','properties':{
                      'city':{'type':'string','description':'the city'},'zip':{'type':'string'}},
                      'required':['city'],'additionalProperties':false}}},
                   'required':['email','tier','addresses'],'additionalProperties':false,'description':'who'}},
                 'required':['customer'],'additionalProperties':false}"""));
        assertThat(t.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(t.maxOutputChars()).isEqualTo(100);
        assertThat(t.parallel()).isTrue();
        JsonNode args = json("{'customer':{'email':'a','tier':'FREE','addresses':[{'city':'Oslo'}]}}");
        assertThat(validator.validate(t.definition().parameters(), args)).isEmpty();
        ToolResult r = t.invoke(args, CONTEXT);
        assertThat(r.error()).isFalse();
        assertThat(JSON.readTree(r.content())).isEqualTo(json(
                "{'email':'a@c1','tier':'FREE','addresses':[{'city':'Oslo','zip':null}]}"));
        assertThat(validator.validate(t.definition().parameters(),
                json("{'customer':{'email':'a','tier':'FREE','addresses':[{'zip':'1'}]}}")))
                .anySatisfy(p -> assertThat(p).contains("$.customer.addresses[0]: missing required property 'city'"));
    }

    @Test
    void anExceptionBecomesAnErrorResultWithItsMessage() throws Exception {
        assertThat(tool("k.fails").invoke(json("{'why':'no'}"), CONTEXT))
                .isEqualTo(ToolResult.error("cannot do that: no"));
    }

    static final class BadName {
        @ToolMethod(name = "Crm.Lookup", description = "x")
        public String lookup() {
            return "";
        }
    }

    static final class BadType {
        @ToolMethod(name = "bad.type", description = "x")
        public String lookup(Object o) {
            return "";
        }
    }

    static final class BadTimeout {
        @ToolMethod(name = "bad.timeout", description = "x", timeout = "soon")
        public String lookup() {
            return "";
        }
    }

    @Test
    void badDeclarationsFailFast() {
        assertThatThrownBy(() -> JavaTools.from(new BadName())).hasMessageContaining("invalid tool name 'Crm.Lookup'");
        assertThatThrownBy(() -> JavaTools.from(new BadType())).hasMessageContaining("unsupported type java.lang.Object");
        assertThatThrownBy(() -> JavaTools.from(new BadTimeout())).hasMessageContaining("timeout 'soon'");
        assertThatThrownBy(() -> JavaTools.from("no tools")).hasMessageContaining("has no public method");
        assertThatThrownBy(() -> JavaTools.from(new Kinds(), new Kinds())).hasMessageContaining("taken twice");
    }
}
