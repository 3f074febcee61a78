"""Card credentials and card hardware: signed QR tokens and their images (NFC arrives later)."""
