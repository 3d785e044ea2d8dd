import ArgumentParser
import Foundation
import GatehouseSandbox

/// `gatehouse hooks …`: legacy Auth0 Hooks.
struct Hooks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Legacy Auth0 Hooks: convert them to Actions.", subcommands: [Convert.self])

    /// `gatehouse hooks convert`: webtask-style hooks → actions of their trigger.
    struct Convert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert hooks to Actions of their trigger and print them.",
            discussion: """
                The action rebuilds the hook's arguments from its event, keeps the hook's body, and turns the hook's \
                answer into api calls (credentials-exchange: access-token claims and scopes; pre-user-registration: \
                the new user's metadata). Warnings, secrets and dependencies are listed on stderr. Exit status: 0 \
                converted, 2 a script could not be read or converted.
                """)

        static let triggers = [
            "credentials-exchange", "pre-user-registration", "post-user-registration", "post-change-password", "send-phone-message",
        ]

        @Argument(help: "Hook scripts (module.exports = function (…, cb) { … }).")
        var files: [String]

        @Option(help: "The hook's extensibility point: \(triggers.joined(separator: ", ")).")
        var trigger: String

        @Flag(help: "Print one JSON report: the actions (name, trigger, code, secrets, dependencies) and the warnings with their lines.")
        var json = false

        @Option(help: "Node.js binary (default: node on PATH, or GATEHOUSE_NODE).")
        var node: String?

        func validate() throws {
            guard Self.triggers.contains(trigger) else {
                throw ValidationError("unknown hook trigger \(trigger); one of: \(Self.triggers.joined(separator: ", "))")
            }
        }

        func run() async throws {
            let sandbox = SandboxConfiguration(nodeBinary: node ?? ProcessInfo.processInfo.environment["GATEHOUSE_NODE"], workers: 1)
            let status = try ScriptConverter(nodeBinary: sandbox.nodeBinary).run(
                ["hooks", "--trigger", trigger] + (json ? ["--json"] : []) + files)
            if status != 0 { throw ExitCode(status) }
        }
    }
}
