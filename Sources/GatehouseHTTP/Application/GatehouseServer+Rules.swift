import GatehouseCore
import GatehouseSandbox
import Logging

extension GatehouseServer {
    /// Installs the packages legacy rules may `require` (`GATEHOUSE_RULES_MODULES`) into their
    /// shared bundle, once (a bundle installed by an earlier start is reused), and returns its
    /// `node_modules`. A set that cannot be installed stops the start: rules requiring those
    /// modules would fail every login otherwise.
    static func installRulesModules(
        _ configuration: GatehouseConfiguration, _ sandbox: SandboxConfiguration, logger: Logger
    ) async throws -> String? {
        let modules = try RulesModules(setting: configuration.rulesModules)
        guard !modules.dependencies.isEmpty else { return nil }
        do {
            let path = try await modules.install(with: DependencyInstaller(configuration: sandbox))
            logger.info(
                "rules modules installed",
                metadata: ["modules": "\(modules.dependencies.map { "\($0.name)@\($0.version)" })", "path": "\(path ?? "")"])
            return path
        } catch {
            throw RulesModulesFailure(
                description:
                    "GATEHOUSE_RULES_MODULES could not be installed (\(error)); fix the list or make the registry reachable,"
                    + " then start again.")
        }
    }
}

/// The rules' module set could not be installed at start-up.
struct RulesModulesFailure: Error, CustomStringConvertible {
    let description: String
}
