import GatehouseStorage
import Hummingbird

/// `/healthz` (the process answers) and `/readyz` (and its database does), for orchestrators.
struct HealthRoutes {
    let database: GatehouseDatabase

    func register(on router: Router<GatehouseRequestContext>) {
        router.get("healthz") { _, _ in JSONResponse.raw(#"{"status":"ok"}"#) }
        let database = database
        router.get("readyz") { _, _ in
            await database.isReachable()
                ? JSONResponse.raw(#"{"status":"ready","database":"ok"}"#)
                : JSONResponse.raw(#"{"status":"unavailable","database":"unreachable"}"#, status: .serviceUnavailable)
        }
    }
}
