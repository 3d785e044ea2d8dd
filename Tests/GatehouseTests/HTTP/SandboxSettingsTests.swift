import GatehouseCore
import GatehouseSandbox
import Testing

@testable import GatehouseHTTP

@Suite("Server settings of the Actions sandbox") struct SandboxSettingsTests {
    @Test("GATEHOUSE_SANDBOX_CALLER_WAIT_MS reaches the pool (0 hands every wait over); unset, the sandbox's default applies")
    func callerWait() {
        #expect(GatehouseServer.sandboxConfiguration(GatehouseConfiguration(sandboxCallerWaitMillis: 0)).callerWait == .zero)
        #expect(GatehouseServer.sandboxConfiguration(GatehouseConfiguration(sandboxCallerWaitMillis: 5)).callerWait == .milliseconds(5))
        #expect(GatehouseServer.sandboxConfiguration(GatehouseConfiguration()).callerWait == SandboxConfiguration().callerWait)
    }
}
