"""Lightspeed records read into typed values: one parser per record type.

The client hands back records with every collection a list (`normalise.py`); these parsers turn
their strings into ints, Decimals, booleans and UTC datetimes once, so services work with typed
values and never with Lightspeed's field names. A field that cannot be read raises
`RecordParseError` naming it.
"""
