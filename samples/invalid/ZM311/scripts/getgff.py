#!/usr/bin/env python3
print('##gff-version 3')
