set terminal pngcairo size 900,600
set output 'rank1_vs_dim_mnist-cnn.png'
set title 'plaintext rank-1 against dimension: mnist-cnn (real data)'
set xlabel 'dimension'
set ylabel 'rank-1 (%)'
set logscale x 2
set grid
set key bottom right
set yrange [0:105]
plot 'rank1_vs_dim_mnist-cnn.dat' index 0 using 1:2 with linespoints title 'deepmds', \
     'rank1_vs_dim_mnist-cnn.dat' index 1 using 1:2 with linespoints title 'pca', \
     99 with lines dashtype 2 title 'none (64-d)'
