"""Branding of the hosted pages: an organization's theme (colors, corner radius, font, logo and
display name), validated so strictly that its values can go into CSS and HTML as they are."""
