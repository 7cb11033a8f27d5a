print('##gff-version 3')
