"""The OpenAPI document of the JSON API and its docs page, built from the routes themselves.

Decision 0900 (operations surface).
"""
