import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehouseIdentity
import GatehouseStorage

/// `gatehouse credentials`: the Management API credentials of the bootstrap client, again, from
/// the tenant's database (where the secret is sealed with the master key). Prints them as JSON
/// and rewrites the credentials file; `--rotate` replaces the secret first.
struct Credentials: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show (or with --rotate, replace) the Management API client's credentials.",
        discussion: """
            Prints {"client_id", "client_secret", "audience", "token_endpoint"} as JSON and writes the same \
            document to the credentials file (GATEHOUSE_CREDENTIALS_FILE, default <database file>.credentials, mode 0600). \
            Use the same --database (and GATEHOUSE_MASTER_KEY) as the server. A rotated secret works at once on running \
            servers; the old one stops working.
            """)

    @OptionGroup var options: ServerOptions

    @Flag(help: "Replace the client's secret with a new random one first.")
    var rotate = false

    @Option(name: .customLong("client-id"), help: "Another client than the bootstrap one.")
    var clientID: String?

    func run() async throws {
        let configuration = try options.configuration()
        if let file = GatehouseDatabase.sqliteFilePath(of: configuration.databaseURL), !FileManager.default.fileExists(atPath: file) {
            throw ValidationError("no database at \(file): start the server once (gatehouse serve), or pass --database")
        }
        let logger = ProcessLogging.make(configuration)
        let (database, storage) = try await GatehouseServer.openStorage(configuration, logger: logger)
        let credentials: (clientID: String, secret: String)
        do {
            credentials = try await BootstrapCredentials.current(storage: storage, clientID: clientID, rotate: rotate)
        } catch let failure as BootstrapCredentials.Failure {
            await database.shutdown()
            throw ValidationError(failure.description)
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
        let document = BootstrapCredentials.document(
            clientID: credentials.clientID, secret: credentials.secret, configuration: configuration)
        if clientID == nil,
            let path = try BootstrapCredentials.write(
                clientID: credentials.clientID, secret: credentials.secret, configuration: configuration)
        {
            FileHandle.standardError.write(Data("wrote \(path)\n".utf8))
        }
        FileHandle.standardOutput.write(Data(document.utf8))
    }
}
