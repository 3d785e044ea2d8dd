import Foundation
import GatehouseCore
import Hummingbird
import Testing

@Suite("Hosted pages in the page's language: ui_locales for a login, Accept-Language elsewhere, English otherwise")
struct HostedPageLanguageTests {
    @Test("ui_locales=fr at /authorize: the login page, its errors and the sign-up page are in French, <html lang=\"fr\">")
    func frenchLogin() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp(name: "Acme Portal")
            try await fixtures.createUser()
            let page = try await HostedPageBrandingTests.loginPage(client, app: app, extra: "&ui_locales=de%20fr-CA%20en")
            #expect(page.text.contains(#"<html lang="fr">"#), "\(page.text)")
            #expect(page.text.contains("<title>Se connecter</title>"))
            #expect(page.text.contains("<h1>Se connecter à Acme Portal</h1>"))
            #expect(page.text.contains(#"<label for="password">Mot de passe</label>"#))
            #expect(page.text.contains(#"aria-label="Afficher le mot de passe""#))
            #expect(page.text.contains("Vous n’avez pas de compte ?"))
            for english in ["Log in", "Password<", ">Continue<", "Show password", "Sign up"] {
                #expect(!page.text.contains(english), "no English left: \(english)")
            }

            let state = try #require(page.hiddenInput("state"))
            let wrong = try await client.form(
                "/u/login?state=\(state)",
                ["state": state, "_csrf": page.hiddenInput("_csrf") ?? "", "username": "jane@example.com", "password": "nope"])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("Adresse e-mail ou mot de passe incorrect."), "\(wrong.text)")

            let signup = try await client.request(.get, "/u/signup?state=\(state)")
            #expect(signup.text.contains(#"<html lang="fr">"#) && signup.text.contains("<title>Créer un compte</title>"))
            #expect(signup.text.contains("Créez votre compte pour Acme Portal") && signup.text.contains("Au moins 8 caractères"))
            let weak = try await client.form(
                "/u/signup?state=\(state)",
                ["state": state, "_csrf": signup.hiddenInput("_csrf") ?? "", "email": "paul@example.com", "password": "court"])
            #expect(weak.status == .badRequest)
            #expect(weak.text.contains("Le mot de passe est trop faible : Au moins 8 caractères."), "\(weak.text)")
        }
    }

    @Test("no supported ui_locales: English, whatever the browser says (the application chose)")
    func englishFallback() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let page = try await HostedPageBrandingTests.loginPage(
                client, app: app, extra: "&ui_locales=ja", headers: [.acceptLanguage: "fr"])
            #expect(page.text.contains(#"<html lang="en">"#) && page.text.contains(#"<label for="password">Password</label>"#))
        }
    }

    @Test("a page without a login transaction follows Accept-Language: the expired-login error page in French")
    func errorPageFromAcceptLanguage() async throws {
        try await TestServer.run { client in
            let french = try await client.request(
                .get, "/u/login?state=unknown", headers: [.acceptLanguage: "de-DE;q=0.9, fr;q=0.8, en;q=0.5"])
            #expect(french.status == .badRequest)
            #expect(french.text.contains(#"<html lang="fr">"#) && french.text.contains("Votre session de connexion a expiré"))
            #expect(french.text.contains("Un problème est survenu") && french.text.contains("Si vous avez suivi un lien"))
            let english = try await client.request(.get, "/u/login?state=unknown", headers: [.acceptLanguage: "fr;q=0, en"])
            #expect(english.text.contains(#"<html lang="en">"#) && english.text.contains("Your login session has expired"))
        }
    }

    @Test("the password-reset page follows Accept-Language: French texts and rules, a French toggle on both password fields")
    func frenchReset() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp(name: "Acme Portal")
            let userID = try await fixtures.createUser()
            let created = try await client.json(
                .post, "/api/v2/tickets/password-change", .object(["user_id": .string(userID), "client_id": .string(app.id)]),
                token: fixtures.token)
            let token = AccountTicketTests.ticketToken(try #require(created.json["ticket"]?.stringValue, "\(created.text)"))
            let french: HTTPFields = [.acceptLanguage: "fr-FR,fr;q=0.9,en;q=0.5"]
            let page = try await client.request(.get, "/u/reset-password?ticket=\(token)", headers: french)
            #expect(page.status == .ok)
            #expect(page.text.contains(#"<html lang="fr">"#) && page.text.contains("<h1>Changez votre mot de passe</h1>"))
            #expect(page.text.contains("Pour jane@example.com sur Acme Portal.") && page.text.contains("Au moins 8 caractères"))
            for field in ["password", "confirm"] {
                #expect(
                    page.text.contains(
                        #"data-reveals="\#(field)" aria-controls="\#(field)" aria-pressed="false" aria-label="Afficher le mot de passe" hidden>"#
                    ))
            }
            let differ = try await client.form(
                "/u/reset-password", ["ticket": token, "password": "a-long-new-password", "confirm": "another-one!"], headers: french)
            #expect(differ.text.contains("Les deux mots de passe sont différents."), "\(differ.text)")
            let used = try await client.form(
                "/u/reset-password", ["ticket": token, "password": "a-long-new-password", "confirm": "a-long-new-password"],
                headers: french)
            #expect(used.text.contains("Mot de passe changé"), "\(used.text)")
            let again = try await client.request(.get, "/u/reset-password?ticket=\(token)", headers: french)
            #expect(again.text.contains("Ce lien a déjà été utilisé"), "\(again.text)")
        }
    }
}
