/// A language the hosted pages speak, chosen from the login transaction's `ui_locales` (OIDC
/// Core §3.1.2.1: space-separated BCP 47 tags, preferred first) or, on a page without a
/// transaction, from the browser's `Accept-Language`. A tag matches by its primary language
/// (`fr-CA` is French); English is the fallback.
struct PageLanguage: Sendable, Hashable {
    /// The BCP 47 primary language subtag, written into `<html lang>`.
    let code: String

    static let english = PageLanguage(code: "en")
    static let french = PageLanguage(code: "fr")
    /// Every language with a catalogue, English first.
    static let supported: [PageLanguage] = [english, french]

    /// The language of `tag` (`fr`, `fr-CA`, `FR_ca`) if the pages speak it.
    init?(tag: some StringProtocol) {
        let primary = tag.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map { $0.lowercased() } ?? ""
        guard let language = Self.supported.first(where: { $0.code == primary }) else { return nil }
        self = language
    }

    private init(code: String) {
        self.code = code
    }

    /// The first supported language of `ui_locales`; English when none is.
    static func preferred(uiLocales: String?) -> PageLanguage {
        (uiLocales ?? "").split(separator: " ").lazy.compactMap { PageLanguage(tag: $0) }.first ?? .english
    }

    /// The supported language the browser prefers most (`Accept-Language` q-values, RFC 9110
    /// §12.5.4; `q=0` means "not this one"); English when none is.
    static func preferred(acceptLanguage header: String?) -> PageLanguage {
        let ranges = (header ?? "").split(separator: ",").prefix(32).enumerated().compactMap {
            index, item -> (language: PageLanguage, quality: Double, index: Int)? in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first, let language = PageLanguage(tag: tag) else { return nil }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0 ? (language, quality, index) : nil
        }
        return ranges.max { ($0.quality, -$0.index) < ($1.quality, -$1.index) }?.language ?? .english
    }
}
