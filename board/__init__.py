"""The public board (公示栏): a quarter's points per party branch, for a TV, a page or print.

Views only; the board itself is ``points.board``.
"""
