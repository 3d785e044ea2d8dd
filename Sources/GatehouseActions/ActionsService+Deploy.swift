import Foundation
import GatehouseCore
import GatehouseStorage

extension ActionsService {
    /// `POST /actions/actions/{id}/deploy`: the built draft becomes the next immutable version and
    /// starts executing at once wherever the action is bound. `deployer` names who asked.
    public func deploy(_ id: String, by deployer: String? = nil) async throws -> ActionVersionRecord {
        try await storage.transaction { repositories in
            guard let action = try await repositories.actions.get(id) else { throw Self.notFound }
            guard action.status == "built" else {
                throw ActionsError.invalid("A draft must be in the 'built' state before it can be deployed.", code: "action_not_built")
            }
            let secrets = try await repositories.actions.secrets(ofAction: id)
            return try await Self.addDeployedVersion(
                of: action, content: action.content, secrets: secrets, nodeModules: action.node_modules, builtAt: action.built_at,
                deployer: deployer, repositories: repositories)
        }
    }

    /// `POST /actions/actions/{id}/versions/{versionId}/deploy`: rolls back by deploying a new
    /// version copied from an old one; `updateDraft` also resets the draft to it.
    public func deploy(version versionID: String, of id: String, updateDraft: Bool, by deployer: String? = nil) async throws
        -> ActionVersionRecord
    {
        try await storage.transaction { repositories in
            guard let action = try await repositories.actions.get(id) else { throw Self.notFound }
            guard let old = try await repositories.actions.version(versionID), old.action_id == id else {
                throw ActionsError.notFound("The version does not exist.", code: "action_version_not_found")
            }
            let secrets = try await repositories.actions.secrets(ofVersion: versionID)
            let version = try await Self.addDeployedVersion(
                of: action, content: old.content, secrets: secrets, nodeModules: old.node_modules, builtAt: old.built_at,
                deployer: deployer, repositories: repositories)
            if updateDraft, var action = try await repositories.actions.get(id) {
                action.content = old.content
                action.status = "built"
                action.errors = []
                action.node_modules = old.node_modules
                action.built_at = old.built_at
                action.updated_at = Timestamp.iso8601(Timestamp.nowMillis())
                try await repositories.actions.update(action, secrets: secrets)
            }
            return version
        }
    }

    private static func addDeployedVersion(
        of action: ActionRecord, content: ActionContent, secrets: [String: String], nodeModules: String?, builtAt: String?,
        deployer: String?, repositories: Repositories
    ) async throws -> ActionVersionRecord {
        let versions = try await repositories.actions.versions(ofAction: action.id)
        let now = Timestamp.iso8601(Timestamp.nowMillis())
        let version = ActionVersionRecord(
            id: UUID().uuidString.lowercased(), action_id: action.id, number: (versions.first?.number ?? 0) + 1, content: content,
            status: "built", deployed: true, node_modules: nodeModules, built_at: builtAt, created_at: now, updated_at: now,
            deployed_by: deployer)
        try await repositories.actions.insertVersion(version, secrets: secrets)
        try await repositories.actions.markDeployed(actionID: action.id, versionID: version.id)
        var updated = try await repositories.actions.get(action.id) ?? action
        updated.deployed_version_id = version.id
        try await repositories.actions.update(updated, secrets: nil)
        // Past the limit, the oldest versions that are not deployed make room.
        let excess = versions.count + 1 - ActionLimits.versionsPerAction
        if excess > 0 {
            for old in versions.reversed().prefix(excess) { try await repositories.actions.deleteVersion(old.id) }
        }
        return version
    }

    /// Whether the draft is what is deployed (`all_changes_deployed`).
    public func allChangesDeployed(_ action: ActionRecord, deployed: ActionVersionRecord?) -> Bool {
        guard let deployed else { return false }
        return deployed.content == action.content
    }
}
