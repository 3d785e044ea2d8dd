import GatehouseCore

/// The tenant's branding of the hosted pages, in Auth0's shape (`GET/PATCH /api/v2/branding`,
/// "Management API: Branding"): the primary colour of buttons and links, the page background
/// (a colour or a linear gradient), the logo, the favicon and a web font. Members not set are
/// left out, as Auth0 answers them. Every value was checked by `patched(with:)` before it was
/// stored, and the hosted pages check it again before it reaches a style or an attribute.
public struct BrandingSettings: Codable, Sendable, Equatable {
    public struct Colors: Codable, Sendable, Equatable {
        public var primary: String?
        public var page_background: PageBackground?

        public init(primary: String? = nil, page_background: PageBackground? = nil) {
            self.primary = primary
            self.page_background = page_background
        }
    }

    /// `colors.page_background`: a colour string, or Auth0's gradient object
    /// `{type: "linear-gradient", start, end, angle_deg}`.
    public enum PageBackground: Codable, Sendable, Equatable {
        case color(String)
        case gradient(Gradient)

        public init(from decoder: any Decoder) throws {
            if let color = try? decoder.singleValueContainer().decode(String.self) {
                self = .color(color)
            } else {
                self = .gradient(try Gradient(from: decoder))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            switch self {
            case .color(let color):
                var container = encoder.singleValueContainer()
                try container.encode(color)
            case .gradient(let gradient): try gradient.encode(to: encoder)
            }
        }
    }

    public struct Gradient: Codable, Sendable, Equatable {
        public var type: String
        public var start: String
        public var end: String
        public var angle_deg: Int

        public init(type: String = "linear-gradient", start: String, end: String, angle_deg: Int) {
            self.type = type
            self.start = start
            self.end = end
            self.angle_deg = angle_deg
        }
    }

    public struct Font: Codable, Sendable, Equatable {
        public var url: String
    }

    public var colors: Colors?
    public var logo_url: String?
    public var favicon_url: String?
    public var font: Font?

    public init(colors: Colors? = nil, logo_url: String? = nil, favicon_url: String? = nil, font: Font? = nil) {
        self.colors = colors
        self.logo_url = logo_url
        self.favicon_url = favicon_url
        self.font = font
    }
}
