import ArgumentParser

/// The `gatehouse` command: the server and its operator tools.
@main
struct Gatehouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "Self-hosted OpenID Connect / OAuth 2.0 server with Auth0-compatible Actions.",
        subcommands: [Serve.self, Keys.self, Credentials.self, Actions.self, Rules.self, Hooks.self],
        defaultSubcommand: Serve.self
    )
}
