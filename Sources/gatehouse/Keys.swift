import ArgumentParser
import GatehouseCore
import GatehouseHTTP
import GatehouseIdentity
import Logging

/// `gatehouse keys …`: signing-key operations on the tenant's database.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage signing keys.", subcommands: [Rotate.self])

    /// `gatehouse keys rotate`: a new signing key signs from now on; old public keys stay in the
    /// JWKS so tokens already issued keep verifying. Running servers pick the key up within a minute.
    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a new signing key and make it current.")

        @OptionGroup var options: ServerOptions

        func run() async throws {
            let configuration = try options.configuration()
            let logger = ProcessLogging.make(configuration)
            let server = try await GatehouseServer.prepare(configuration, logger: logger)
            let kid = try await SigningKeyring.generateKey(into: server.services.storage)
            await server.shutdown()
            print("New signing key: \(kid)")
        }
    }
}
