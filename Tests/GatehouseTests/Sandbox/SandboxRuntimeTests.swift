import Foundation
import GatehouseCore
import GatehouseSandbox
import Logging
import Testing

@Suite("Sandbox: runtimes map to their own Node binaries") struct SandboxRuntimeTests {
    /// A copy of the default `node` in a directory of its own, so that `process.execPath` tells
    /// which binary ran an action.
    static func copyOfNode() throws -> (directory: URL, binary: String) {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("gatehouse-node22-" + RandomIdentifier.hex(byteCount: 6))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let binary = directory.appendingPathComponent("node")
        let original = URL(fileURLWithPath: SandboxConfiguration().nodeBinary).resolvingSymlinksInPath()
        try FileManager.default.copyItem(at: original, to: binary)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary.path)
        return (directory, binary.path)
    }

    static func pool(runtimes: [String: String]) -> SandboxPool {
        var logger = Logger(label: "runtime-test")
        logger.logLevel = .critical
        return SandboxPool(
            configuration: SandboxConfiguration(workers: 1, heapMegabytes: 64, graceMillis: 300, runtimeBinaries: runtimes),
            catalog: SandboxFixture.catalog, logger: logger)
    }

    @Test("a flow mixing runtimes runs each action on its runtime's binary; later actions still see what earlier ones set")
    func mixedFlow() async throws {
        let (directory, binary) = try Self.copyOfNode()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pool = Self.pool(runtimes: ["node22": binary])
        try await pool.start()
        let event = try SampleEvents.bundled().event(for: "post-login")
        let first = """
            exports.onExecutePostLogin = async (event, api) => {
              console.log(process.execPath);
              api.user.setAppMetadata('plan', 'pro');
              api.transaction.setMetadata('step', 1);
              api.cache.set('seen', 'first');
            };
            """
        let second = """
            exports.onExecutePostLogin = async (event, api) => {
              console.log(process.execPath);
              console.log(JSON.stringify([event.user.app_metadata.plan, event.transaction.metadata.step, api.cache.get('seen')?.value]));
              api.user.setAppMetadata('plan', 'enterprise');
            };
            """
        let third = """
            exports.onExecutePostLogin = async (event, api) => {
              console.log(process.execPath);
              api.idToken.setCustomClaim('https://example.com/plan', event.user.app_metadata.plan);
            };
            """
        let result = try await pool.run(
            FlowRequest(
                trigger: "post-login", event: event,
                actions: [
                    ActionSource(name: "first", versionID: "v1", code: first, runtime: "node20"),
                    ActionSource(name: "second", versionID: "v2", code: second, runtime: "node22"),
                    ActionSource(name: "third", versionID: "v3", code: third, runtime: "node18"),
                ]))
        await pool.shutdown()
        #expect(result.status == .completed, "\(result)")
        let paths = result.actions.map { $0.logs.split(separator: "\n").first.map(String.init) ?? "" }
        #expect(paths.count == 3)
        #expect(paths[1] == binary)
        #expect(paths[0] != binary && paths[2] != binary)
        #expect(result.actions[1].logs.hasSuffix("[\"pro\",1,\"first\"]\n"))
        #expect(result.commands.last == Command(method: "api.idToken.setCustomClaim", args: ["https://example.com/plan", "enterprise"]))
        #expect(result.commands.filter { $0.method == "api.cache.set" }.count == 1)
        #expect(result.state == nil)
    }

    @Test("a deny or a failure in one part stops the flow; the later parts do not run")
    func stopsAcrossParts() async throws {
        let (directory, binary) = try Self.copyOfNode()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pool = Self.pool(runtimes: ["node22": binary])
        try await pool.start()
        let event = try SampleEvents.bundled().event(for: "post-login")
        let result = try await pool.run(
            FlowRequest(
                trigger: "post-login", event: event,
                actions: [
                    ActionSource(name: "ok", versionID: "v1", code: "exports.onExecutePostLogin = async () => {};"),
                    ActionSource(
                        name: "deny", versionID: "v2", code: "exports.onExecutePostLogin = async (e, api) => { api.access.deny('no'); };",
                        runtime: "node22"),
                    ActionSource(name: "never", versionID: "v3", code: "exports.onExecutePostLogin = async () => {};"),
                ]))
        await pool.shutdown()
        #expect(result.status == .denied)
        #expect(result.actions.map(\.name) == ["ok", "deny"])
    }

    @Test("a runtime mapped to a Node older than 20 is refused at start: it has no permission model")
    func oldNodeRefused() async throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("gatehouse-node18-" + RandomIdentifier.hex(byteCount: 6))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fake = directory.appendingPathComponent("node")
        try "#!/bin/sh\necho v18.19.1\n".write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        let pool = Self.pool(runtimes: ["node18": fake.path])
        await #expect {
            try await pool.start()
        } throws: { error in
            "\(error)".contains("is Node 18") && "\(error)".contains("Node ≥ 20")
        }
        await pool.shutdown()
    }

    @Test("GATEHOUSE_NODE_RUNTIMES is read as runtime=/path pairs; anything else is refused with an example")
    func parsing() throws {
        #expect(
            try GatehouseConfiguration.parseNodeRuntimes("node18=/opt/node18/bin/node, node22=/opt/node22/bin/node")
                == ["node18": "/opt/node18/bin/node", "node22": "/opt/node22/bin/node"])
        #expect(throws: ConfigurationError.self) { try GatehouseConfiguration.parseNodeRuntimes("node22:/usr/bin/node") }
        #expect(throws: ConfigurationError.self) { try GatehouseConfiguration.parseNodeRuntimes("latest=/usr/bin/node") }
        #expect(throws: ConfigurationError.self) { try GatehouseConfiguration.parseNodeRuntimes("node22=relative/node") }
    }
}
