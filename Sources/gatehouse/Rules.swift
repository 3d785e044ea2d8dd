import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseSandbox

/// `gatehouse rules …`: legacy Auth0 Rules.
struct Rules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Legacy Auth0 Rules: convert them to Actions.", subcommands: [Convert.self])

    /// `gatehouse rules convert`: rules → post-login actions, optionally checked against the rules on an event.
    struct Convert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert rules to post-login Actions and print them.",
            discussion: """
                Several rules convert as one chain, in the order given, to as many actions. What has no mechanical \
                equivalent is kept in the code under a "TODO(gatehouse convert)" comment and listed on stderr with its \
                line, as are the secrets to create and the dependencies to declare. Exit status: 0 converted, 2 a \
                script could not be read or converted; with --check, 1 when the outcomes differ.
                """)

        @Argument(help: "Rule scripts (function (user, context, callback) { … }), in execution order.")
        var files: [String]

        @Flag(help: "Print one JSON report: the actions (name, code, secrets, dependencies) and the warnings with their lines.")
        var json = false

        @Option(
            help: ArgumentHelp(
                "Run the rules and the converted actions on this post-login event (JSON) and compare their outcomes.",
                valueName: "EVENT.json"))
        var check: String?

        @Option(
            name: .customLong("secret"),
            help: "With --check: a configuration value NAME=VALUE, given to the rules and the actions (repeatable).")
        var secrets: [String] = []

        @Option(
            name: .customLong("dependency"),
            help:
                "With --check: an npm module NAME=SPEC the rules require and the actions declare (repeatable; e.g. tiny=file:./tiny-1.0.0.tgz)."
        )
        var dependencies: [String] = []

        @Option(
            help:
                "With --check: where dependency bundles are installed (default: the server's, ~/.cache/gatehouse/bundles or /var/cache/gatehouse/bundles under root)."
        )
        var bundles: String?

        @Option(help: "Flow time budget in milliseconds for --check.")
        var budgetMs: Int = 20_000

        @Option(help: "Node.js binary (default: node on PATH, or GATEHOUSE_NODE).")
        var node: String?

        func run() async throws {
            let sandbox = SandboxConfiguration(nodeBinary: node ?? ProcessInfo.processInfo.environment["GATEHOUSE_NODE"], workers: 1)
            let converter = ScriptConverter(nodeBinary: sandbox.nodeBinary)
            guard let check else {
                let status = try converter.run(["rules"] + (json ? ["--json"] : []) + files)
                if status != 0 { throw ExitCode(status) }
                return
            }
            if !json {
                // The code and the warnings as without --check; the comparison follows on stderr.
                let status = try converter.run(["rules"] + files)
                if status != 0 { throw ExitCode(status) }
            }
            let (status, output) = try converter.report(["rules"] + files)
            guard status == 0, let report = JSONValue(jsonText: output), let actions = report["actions"]?.arrayValue else {
                throw ExitCode(status == 0 ? 2 : status)
            }
            let checker = try await ConversionCheck(
                sandbox: sandbox, bundles: bundles, secrets: try Actions.Run.pairs(secrets, option: "--secret"),
                dependencies: try Actions.Run.pairs(dependencies, option: "--dependency"), budgetMillis: budgetMs)
            let event = try ConversionCheck.event(at: check)
            let rules = try files.map { try String(contentsOfFile: $0, encoding: .utf8) }
            let codes = actions.compactMap { $0["code"]?.stringValue }
            let names = actions.compactMap { $0["name"]?.stringValue }
            let phases = try await checker.compare(rules: rules, actions: codes, names: names, event: event)
            let matches = phases.allSatisfy(\.differences.isEmpty)
            if json {
                var object = report.objectValue ?? [:]
                object["check"] = .object(["matches": .bool(matches), "phases": .array(phases.map(\.json))])
                FileHandle.standardOutput.write(Data((JSONValue.object(object).jsonText(pretty: true) + "\n").utf8))
            } else {
                FileHandle.standardError.write(Data(phases.map(\.text).joined().utf8))
                FileHandle.standardError.write(
                    Data((matches ? "check: the actions do what the rules did\n" : "check: the outcomes differ\n").utf8))
            }
            if !matches { throw ExitCode(1) }
        }
    }
}
