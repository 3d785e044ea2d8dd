import Foundation
import GatehouseCore
import GatehouseSandbox
import GatehouseStorage

extension ActionsService {
    /// Builds a saved draft in the background: `pending → building → built` or `failed` with the
    /// reason in `errors` (dependencies that do not install, code that does not load or lacks
    /// the trigger's handler). A build whose draft changed meanwhile is discarded.
    func startBuild(_ id: String, revision: String, deployAfter: Bool) {
        Task {
            do {
                try await build(id, revision: revision)
                if deployAfter { _ = try? await deploy(id) }
            } catch {
                logger.error("action build failed to run", metadata: ["action_id": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// Runs the build now (the background task calls this; tests may too).
    public func build(_ id: String, revision: String) async throws {
        guard var action = try await storage.read({ try await $0.actions.get(id) }), action.updated_at == revision else { return }
        action.status = "building"
        try await save(action, ifRevision: revision)
        var errors: [BuildErrorRecord] = []
        var modules: String?
        do {
            modules = try await installer.install(action.content.dependencies.map { ActionDependency(name: $0.name, version: $0.version) })
        } catch {
            errors.append(BuildErrorRecord(id: "dependency_install_failed", msg: "\(error)"))
        }
        if errors.isEmpty, let trigger = catalog.trigger(action.content.supported_triggers.first?.id ?? "") {
            do {
                if let problem = try await checker.problem(
                    code: action.content.code, handler: trigger.executeHandler, nodeModules: modules, runtime: action.content.runtime)
                {
                    errors.append(BuildErrorRecord(id: "invalid_code", msg: problem))
                }
            } catch {
                // The sandbox could not check the code (no Node.js, no setpriv under root, …): the
                // build fails with the reason instead of staying `building`.
                errors.append(
                    BuildErrorRecord(
                        id: "code_check_unavailable",
                        msg: "The code could not be checked: \(error). Fix the server's sandbox, then save the action again."))
            }
        }
        action.status = errors.isEmpty ? "built" : "failed"
        action.errors = errors
        action.node_modules = modules
        action.built_at = Timestamp.iso8601(Timestamp.nowMillis())
        try await save(action, ifRevision: revision)
    }

    /// Saves build progress unless the draft was edited since the build started.
    private func save(_ action: ActionRecord, ifRevision revision: String) async throws {
        try await storage.transaction { repositories in
            guard try await repositories.actions.get(action.id)?.updated_at == revision else { return }
            try await repositories.actions.update(action, secrets: nil)
        }
    }
}
