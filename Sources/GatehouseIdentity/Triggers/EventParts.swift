import GatehouseCore
import GatehouseStorage

/// The sub-objects several triggers' events share (`auth0-actions.md` §2.1), built once.
enum EventParts {
    /// `event.client`: id, name and metadata.
    static func client(_ client: ClientRecord) -> JSONValue {
        .object([
            "client_id": .string(client.client_id), "name": .string(client.name),
            "metadata": .object(client.client_metadata.mapValues(JSONValue.string)),
        ])
    }

    /// `event.connection`: the stored connection, or its name and strategy when it is not found.
    static func connection(_ connection: ConnectionRecord?, name: String) -> JSONValue {
        guard let connection else { return .object(["name": .string(name), "strategy": "auth0"]) }
        return .object([
            "id": .string(connection.id), "name": .string(connection.name), "strategy": .string(connection.strategy),
            "metadata": .object(connection.metadata.mapValues(JSONValue.string)),
        ])
    }
}
