import Testing

@testable import GatehouseHTTP

@Suite("Form parsing") struct FormParsingTests {
    @Test(
        "application/x-www-form-urlencoded decodes like a browser sends it",
        arguments: [
            ("scope=openid+profile+email", ["scope": "openid profile email"]),
            ("a=1%2B1&b=%20x%20", ["a": "1+1", "b": " x "]),
            ("redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1", ["redirect_uri": "https://app.example/cb?x=1"]),
            ("name=J%C3%A9r%C3%B4me", ["name": "Jérôme"]),
            ("bad=%zz%4&empty=&flag", ["bad": "%zz%4", "empty": "", "flag": ""]),
            ("dup=first&dup=second", ["dup": "first"]),
            ("state=%2541", ["state": "%41"]),
        ])
    func decodes(body: String, expected: [String: String]) {
        #expect(RequestParameters.parseForm(body) == expected)
    }
}
