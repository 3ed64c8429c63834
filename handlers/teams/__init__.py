"""The Microsoft Teams surface: Adaptive Cards, the app package. Every botbuilder import stays in here."""
