package io.myriad.server;

import java.util.List;

/** Every resource of the HTTP API, for {@code myriad serve} to register. */
public final class ApiResources {
    private ApiResources() {}

    /** A new instance of each API resource, runs first. */
    public static List<ApiResource> all() {
        return List.of(new RunsResource(), new ExecutionsResource(), new ApprovalsResource(), new DeliveriesResource(),
                new AuditResource(), new BudgetsResource(), new TenantsResource(), new ControlResource(), new KeysResource());
    }
}
