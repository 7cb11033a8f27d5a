#!/bin/sh
echo "##gff-version 3"
