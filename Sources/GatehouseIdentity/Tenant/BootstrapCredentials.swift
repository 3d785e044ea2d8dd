import GatehouseCore
import GatehouseStorage

/// The Management API credentials of the bootstrap client, for the operator: written to a file
/// only the server's user can read (never to the log), and shown again or replaced by
/// `gatehouse credentials` against the same database.
public enum BootstrapCredentials {
    /// The tenant setting naming the bootstrap client (tenants created before it was kept are
    /// found by the client's name).
    static let clientSetting = "bootstrap_client_id"
    static let clientName = "Gatehouse Bootstrap (Management API)"

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The file's contents: one JSON object with what a `client_credentials` exchange needs.
    public static func document(clientID: String, secret: String, configuration: GatehouseConfiguration) -> String {
        JSONValue.object([
            "client_id": .string(clientID),
            "client_secret": .string(secret),
            "audience": .string(configuration.managementAudience),
            "token_endpoint": .string(configuration.issuer + "oauth/token"),
        ]).jsonText(pretty: true) + "\n"
    }

    /// Writes the credentials file (mode 0600) when the configuration names one; returns its path.
    @discardableResult
    public static func write(clientID: String, secret: String, configuration: GatehouseConfiguration) throws -> String? {
        guard let path = configuration.credentialsFile else { return nil }
        try PrivateFiles.writeNew(document(clientID: clientID, secret: secret, configuration: configuration), to: path)
        return path
    }

    /// The bootstrap client's id and secret (or those of `clientID`), read from the database, the
    /// secret replaced by a new random one first when `rotate` is set.
    public static func current(
        storage: Storage, clientID requested: String? = nil, rotate: Bool
    ) async throws -> (clientID: String, secret: String) {
        try await storage.transaction { repositories in
            var clientID = requested
            if clientID == nil { clientID = try await bootstrapClientID(in: repositories) }
            guard let clientID else {
                throw Failure(description: "this database has no tenant yet: start the server on it once (gatehouse serve)")
            }
            guard var client = try await repositories.clients.get(clientID) else {
                throw Failure(description: "no client \(clientID) in this database")
            }
            if rotate {
                client.client_secret = RandomIdentifier.token(byteCount: 48)
                client.updated_at = Timestamp.iso8601(Timestamp.nowMillis())
                try await repositories.clients.update(client)
            }
            guard let secret = client.client_secret, !secret.isEmpty else {
                throw Failure(description: "client \(clientID) has no secret (a public client); --rotate gives it one")
            }
            return (clientID, secret)
        }
    }

    static func bootstrapClientID(in repositories: Repositories) async throws -> String? {
        if let id = try await repositories.tenant.value(clientSetting) { return id }
        var page = 0
        while true {
            let clients = try await repositories.clients.list(PageRequest(page: page, perPage: 100)).items
            if let found = clients.first(where: { $0.name == clientName }) { return found.client_id }
            if clients.count < 100 { return nil }
            page += 1
        }
    }
}
