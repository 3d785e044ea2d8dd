/// What every hosted page of one request wears: the tenant's branding and, unless a page knows
/// better (a login transaction's `ui_locales`), the language of the browser's `Accept-Language`.
/// Set for the request by `HostedPageMiddleware`; `PageRenderer` reads it.
struct PageEnvironment: Sendable {
    var theme = PageTheme()
    var language = PageLanguage.english

    @TaskLocal static var current = PageEnvironment()
}
