import { makeStyles } from '@material-ui/core';

const useStyles = makeStyles({
  text: {
    color: '#7df3e1',
    fontSize: 22,
    fontWeight: 600,
    letterSpacing: 0.2,
    whiteSpace: 'nowrap',
  },
});

/** The open sidebar's logo: the portal's name (the closed sidebar shows the Backstage mark, LogoIcon). */
export const LogoFull = () => {
  const classes = useStyles();

  return <span className={classes.text}>FusionInfer</span>;
};
