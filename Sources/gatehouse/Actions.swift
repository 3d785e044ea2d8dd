import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseSandbox
import Logging

/// `gatehouse actions …`: work with Actions locally.
struct Actions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run and test Actions locally.", subcommands: [Run.self])

    /// `gatehouse actions run`: runs action files as one flow on the production sandbox, with no
    /// server and no database, and prints what they asked for.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run action files as one flow and print the result as JSON.",
            discussion: """
                Files run in the order given, as bound actions of TRIGGER would. Without --event, a complete \
                sample event for the trigger is used. Exits non-zero only when the sandbox itself cannot run; \
                a denied or failed flow is a normal result.
                """)

        @Argument(help: "JavaScript files exporting the trigger's handler (e.g. exports.onExecutePostLogin).")
        var files: [String]

        @Option(help: "Trigger id: post-login, credentials-exchange, pre-user-registration, …")
        var trigger: String

        @Option(help: "JSON file with the event; default: the trigger's sample event.")
        var event: String?

        @Option(name: .customLong("secret"), help: "A secret NAME=VALUE given to every action (repeatable).")
        var secrets: [String] = []

        @Option(name: .customLong("cache"), help: "A cache entry KEY=VALUE in the trigger's cache (repeatable).")
        var cacheEntries: [String] = []

        @Option(help: "execute (default) or continue (resume the first file after a redirect).")
        var handler: String = "execute"

        @Option(help: "Flow time budget in milliseconds.")
        var budgetMs: Int = 20_000

        @Option(help: "Node.js binary (default: node on PATH, or GATEHOUSE_NODE).")
        var node: String?

        @Option(
            name: .customLong("dependency"),
            help:
                "An npm dependency NAME=VERSION (any npm spec, e.g. lodash=4.17.21 or tiny=file:./tiny-1.0.0.tgz), installed once into a cached bundle (repeatable)."
        )
        var dependencies: [String] = []

        @Option(
            help:
                "Where dependency bundles are installed (default: the server's, ~/.cache/gatehouse/bundles or /var/cache/gatehouse/bundles under root)."
        )
        var bundles: String?

        @Option(help: "npm registry for --dependency (default: npm's configuration).")
        var registry: String?

        func run() async throws {
            var logger = Logger(label: "gatehouse.actions")
            logger.logLevel = .warning
            let catalog = try TriggerCatalog.bundled()
            guard catalog.trigger(trigger) != nil else {
                throw ValidationError("unknown trigger \(trigger); one of: \(catalog.triggers.keys.sorted().joined(separator: ", "))")
            }
            let eventValue: JSONValue
            if let event {
                let text = try String(contentsOfFile: event, encoding: .utf8)
                guard let parsed = JSONValue(jsonText: text), parsed.objectValue != nil else {
                    throw ValidationError("\(event) is not a JSON object")
                }
                eventValue = parsed
            } else {
                eventValue = try SampleEvents.bundled().event(for: trigger)
            }
            let secretValues = try Self.pairs(secrets, option: "--secret")
            let now = Timestamp.nowMillis()
            let cache = try Self.pairs(cacheEntries, option: "--cache").mapValues { CacheEntry(value: $0, expiresAt: now + 900_000) }
            var sandbox = SandboxConfiguration(nodeBinary: node ?? ProcessInfo.processInfo.environment["GATEHOUSE_NODE"], workers: 1)
            if let bundles { sandbox.bundlesDirectory = URL(fileURLWithPath: bundles).standardizedFileURL.path }
            let declared = try Self.pairs(dependencies, option: "--dependency").map { name, version in
                // A relative file: spec is relative to where the command runs, not to npm's folder.
                let spec =
                    version.hasPrefix("file:") && !version.hasPrefix("file:/")
                    ? "file:" + URL(fileURLWithPath: String(version.dropFirst(5))).standardizedFileURL.path : version
                return ActionDependency(name: name, version: spec)
            }
            let modulesPath: String?
            do {
                // The local runner installs what its own user names, from any source.
                modulesPath = try await DependencyInstaller(configuration: sandbox, sources: .anySource, registry: registry).install(
                    declared)
            } catch {
                FileHandle.standardError.write(Data("gatehouse actions run: \(error)\n".utf8))
                throw ExitCode(2)
            }
            let actions = try files.map { path in
                ActionSource(
                    name: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent,
                    versionID: "local:" + path, code: try String(contentsOfFile: path, encoding: .utf8), secrets: secretValues,
                    nodeModules: modulesPath)
            }
            let pool = SandboxPool(configuration: sandbox, catalog: catalog, logger: logger)
            let result: FlowResult
            do {
                try await pool.start()
                result = try await pool.run(
                    FlowRequest(
                        trigger: trigger, handler: handler, event: eventValue, actions: actions, cache: cache, budgetMillis: budgetMs,
                        now: now))
            } catch {
                await pool.shutdown()
                FileHandle.standardError.write(Data("gatehouse actions run: \(error)\n".utf8))
                throw ExitCode(2)
            }
            await pool.shutdown()
            FileHandle.standardOutput.write(Data((result.report.jsonText(pretty: true) + "\n").utf8))
        }

        static func pairs(_ values: [String], option: String) throws -> [String: String] {
            var result: [String: String] = [:]
            for value in values {
                guard let equals = value.firstIndex(of: "="), equals != value.startIndex else {
                    throw ValidationError("\(option) takes NAME=VALUE, got \(value)")
                }
                result[String(value[..<equals])] = String(value[value.index(after: equals)...])
            }
            return result
        }
    }
}
