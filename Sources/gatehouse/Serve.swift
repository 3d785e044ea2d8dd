import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseHTTP
import Hummingbird
import Logging

/// `gatehouse serve`: runs the server until SIGTERM or SIGINT, then shuts down gracefully.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the identity server.")

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let configuration = try options.configuration()
        let logger = ProcessLogging.make(configuration)
        let server: GatehouseServer
        do {
            server = try await GatehouseServer.prepare(configuration, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        if server.bootstrap.created, let clientID = server.bootstrap.clientID {
            // The path, never the secret: standard output often ends up in a log.
            var notice = "Tenant created. Management API client: \(clientID)\n"
            if let file = server.bootstrap.credentialsFile {
                notice += "Its credentials are in \(file) (readable by this user only); `gatehouse credentials` shows them again.\n"
            } else if server.bootstrap.generatedSecret != nil, configuration.databaseURL.contains(":memory:") {
                notice +=
                    "Its secret was generated and is not shown: for an in-memory database, set GATEHOUSE_CREDENTIALS_FILE "
                    + "(or GATEHOUSE_BOOTSTRAP_CLIENT_ID and GATEHOUSE_BOOTSTRAP_CLIENT_SECRET) before starting.\n"
            } else if server.bootstrap.generatedSecret != nil {
                notice +=
                    "Its secret was generated and is not shown: set GATEHOUSE_CREDENTIALS_FILE to have it written to a file, "
                    + "or run `gatehouse credentials --rotate` against this database for a new one.\n"
            }
            FileHandle.standardOutput.write(Data(notice.utf8))
        }
        logger.info(
            "listening",
            metadata: ["address": "\(configuration.host):\(configuration.port)", "issuer": "\(configuration.issuer)"])
        do {
            try await server.application().runService()
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }
}
